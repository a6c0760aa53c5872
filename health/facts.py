"""Gather the facts readiness and status are decided from: the I/O half of health.model.

Cheap enough for probes that hit `/-/ready` every few seconds from several places: callers
keep the result for FACTS_SECONDS, Release files are parsed again only when their stat
changes, and signatures are verified once per stat (basedir.release caches gpgv).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import replace

from snapfront.base.atomic import STATE_DIR
from snapfront.base.config import Config
from snapfront.base.stamps import Stamp, stamps
from snapfront.basedir.intent import interrupted
from snapfront.basedir.inventory import read_archive
from snapfront.basedir.model import Distribution
from snapfront.basedir.release import newest_complete_serial, read_distribution, snapshot_dir
from snapfront.basedir.taken import taken_at
from snapfront.rewrite_rules import Mount, MountKind
from snapfront.rewrite_rules.names import RELEASE_FIELDS

from . import newest_file, replication_file, watcher_file
from .model import Facts, MountFacts, ReplicationFacts, WatcherFacts

log = logging.getLogger("snapfront.health")

FACTS_SECONDS = 1.0
"""How long a serving process reuses gathered facts."""
PROBE_NAME = "write-probe"
"""Opened for writing under OUTPUT/.snapfront on each gather: a read-only or full-inode
filesystem shows up as EROFS/ENOSPC/EACCES, for root too (os.access would say yes)."""
_MEMO_LIMIT = 4096


def role(config: Config) -> str:
    """`passive` when configured so or while `role_file` exists (checked at every gather, so
    failover is a touch/rm, no signal needed); else `active`."""
    if config.role == "passive":
        return "passive"
    if config.role_file and os.path.lexists(config.role_file):
        return "passive"
    return "active"


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie does not: an unreaped watcher still has a pid)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rsplit(b")", 1)[1].split()[0]
        return state not in (b"Z", b"X")
    except FileNotFoundError:
        return False
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


class Gatherer:
    """Facts for one config, remembering parsed Release files by stat."""

    def __init__(self, config: Config, watching: bool) -> None:
        self.config = config
        self.watching = watching
        self._releases: dict[str, tuple[tuple[Stamp, ...], Distribution | None]] = {}

    def gather(self, now: float | None = None) -> Facts:
        config = self.config
        newest = newest_file.read(config.output)
        return Facts(
            now=time.time() if now is None else now,
            role=role(config),
            mounts=tuple(
                self.mount(m) if m.kind is MountKind.SNAPSHOTS else _tree(m, newest.get(m.url))
                for m in config.mounts
            ),
            watcher=self.watcher(),
            unwritable=unwritable(config.output),
            free=free_space([config.output, *(m.root for m in config.mounts)]),
            replication=self.replication(),
        )

    def replication(self) -> ReplicationFacts | None:
        pulled = self.config.replication
        if pulled is None:
            return None
        state = replication_file.read(self.config.output)
        return ReplicationFacts(pulled.source, pulled.interval, state)

    def mount(self, mount: Mount) -> MountFacts:
        found = self._serial_facts(mount)
        pending = interrupted(mount.root)
        return found if pending is None else replace(found, interrupted=pending.describe())

    def _serial_facts(self, mount: Mount) -> MountFacts:
        try:
            archive = read_archive(mount.root)
            count = len(set().union(*archive.serials.values())) if archive.serials else 0
            found = newest_complete_serial(mount.root, archive, mount.keyring)
        except Exception as exc:  # gpgv missing, a root gone: a reason, never a 500
            log.warning("%s: cannot read its serials: %s", mount.url, exc)
            return MountFacts(mount.url, problem=f"cannot read serials: {exc}")
        if found is None:
            return MountFacts(mount.url, serials=count)
        serial, signed = found
        releases = [
            self.release(snapshot_dir(mount.root, codename, serial), mount.root)
            for codename, serials in sorted(archive.serials.items())
            if serial in serials
        ]
        dates = [r.date for r in releases if r is not None and r.date is not None]
        valid = [r.valid_until for r in releases if r is not None and r.valid_until is not None]
        taken = taken_at(serial, min(dates) if dates else None, signed)
        return MountFacts(
            mount.url,
            serial=serial,
            taken=taken,
            valid_until=min(valid) if valid else None,
            serials=count,
            newest=taken,
            signed=signed,
        )

    def release(self, directory: str, root: str) -> Distribution | None:
        key = stamps(directory, RELEASE_FIELDS)
        memo = self._releases.get(directory)
        if memo is not None and memo[0] == key:
            return memo[1]
        found = read_distribution(directory, root, MountKind.SNAPSHOTS)
        if len(self._releases) >= _MEMO_LIMIT:
            self._releases.clear()
        self._releases[directory] = (key, found)
        return found

    def watcher(self) -> WatcherFacts:
        if not self.watching:
            return WatcherFacts(expected=False)
        state = watcher_file.read(self.config.output)
        return WatcherFacts(True, state is not None and alive(state.pid), state)


def _tree(mount: Mount, newest: newest_file.Newest | None) -> MountFacts:
    """A files, repository or tagged mount: its newest mtime as the last build recorded it
    (None before the first build: walking the tree here would cost a stat per file), and an
    interrupted operation of its own (a suite change or upload; a tagged create)."""
    pending = _interrupted(mount)
    if newest is None:
        return MountFacts(mount.url, kind=mount.kind.value, interrupted=pending)
    return MountFacts(
        mount.url, kind=mount.kind.value, newest=newest.mtime_ns / 1e9, newest_path=newest.path,
        interrupted=pending,
    )  # fmt: skip


def _interrupted(mount: Mount) -> str | None:
    """Where each kind keeps its record: a repository's db/, a tagged mount's hidden state
    directory (its tags are the root's directories); files mounts have none."""
    where = {
        MountKind.REPOSITORY: mount.root,
        MountKind.TAGGED: os.path.join(mount.root, STATE_DIR),
    }
    found = interrupted(where[mount.kind]) if mount.kind in where else None
    return None if found is None else found.describe()


def unwritable(output: str) -> str | None:
    """Why files cannot be created in `output` now, or None."""
    probe = os.path.join(output, STATE_DIR, PROBE_NAME)
    try:
        os.makedirs(os.path.dirname(probe), exist_ok=True)
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o644))
    except OSError as exc:
        return f"{exc.filename or probe}: {exc.strerror}"
    return None


def free_space(paths: list[str]) -> tuple[tuple[str, int], ...]:
    """Bytes available to unprivileged writers, once per filesystem (named by its first path)."""
    seen: set[int] = set()
    found = []
    for path in paths:
        try:
            device = os.stat(path).st_dev
            if device in seen:
                continue
            seen.add(device)
            vfs = os.statvfs(path)
        except OSError:
            continue  # a missing root is the watcher's and the build's to report
        found.append((path, vfs.f_bavail * vfs.f_frsize))
    return tuple(found)
