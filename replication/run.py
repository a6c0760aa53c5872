"""One replication run (`snapfront replicate`, or the watcher of a passive host every
`[replication] interval`): each mount pulled from the active's module of the same name.

Per mount: list the active's module; record the serials about to arrive (hidden until the
run ends: replication.recover); stage 1, everything but metadata; stage 2, the metadata with
`--delay-updates`; then what the active no longer has is deleted if an earlier run received
it (the manifest), or moved to the quarantine if the active never had it; then, for a
reprepro basedir, the active's consistent database copy, installed only if it describes
exactly the tree now here (else the stages run again). The manifest of what the active has is
written last.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from snapfront.base.config import Config
from snapfront.health.replication_file import MountReplica, Quarantined
from snapfront.lifecycle import basedir_lock
from snapfront.rewrite_rules import Mount
from snapfront.rewrite_rules.export_rsyncd import WITH_DATABASE

from . import database, local, recover
from .plan import (
    DATABASE,
    DB_COPY,
    LOCAL_ONLY,
    arriving,
    module_name,
    newest_serial,
    removals,
    stages,
)
from .rsync import Entry, listing, pull

ROUNDS = 3
"""Stages pulled at most this often per run while the active's database copy and tree
disagree (it took a snapshot between them): each round moves only what changed."""


@dataclass
class MountRun:
    mount: Mount
    received: int = 0
    deleted: int = 0
    quarantined: list[Quarantined] = field(default_factory=list)
    database: str = ""  # what happened to the reprepro database, for the summary
    replica: MountReplica | None = None

    def summary(self) -> str:
        said = [f"{self.received} received", f"{self.deleted} deleted"]
        said.append(f"{len(self.quarantined)} quarantined")
        if self.database:
            said.append(self.database)
        return f"{self.mount.url}: " + ", ".join(said)


def replicate(config: Config) -> list[MountRun]:
    """Every mount, in config order; Failed (one line) at the first that cannot be pulled."""
    assert config.replication is not None
    return [_mount(config, mount) for mount in config.mounts]


def _mount(config: Config, mount: Mount) -> MountRun:
    assert config.replication is not None
    module = module_name(mount.url)
    url = f"{config.replication.source}{module}/"
    found = MountRun(mount)
    remote = listing(url, [f"- {p}" for p in LOCAL_ONLY])
    basedir = mount.kind in WITH_DATABASE and "conf" in remote
    with _recorded(mount, remote, basedir):
        for attempt in range(ROUNDS):
            got = _stages(url, mount, found)
            _remove(config, mount, module, remote, got, found)
            if not basedir or _database(url, mount, found, last=attempt == ROUNDS - 1):
                break
            remote = listing(url, [f"- {p}" for p in LOCAL_ONLY])
        local.write_manifest(config.output, module, set(remote) | got)
    found.replica = _replica(mount.url, remote)
    return found


@contextlib.contextmanager
def _recorded(mount: Mount, remote: dict[str, Entry], basedir: bool) -> Iterator[None]:
    """For a reprepro basedir: under its lock, an interrupted run undone, the arriving
    serials recorded; a failure keeps the record (they stay hidden until a run ends)."""
    if not basedir:
        yield
        return
    os.makedirs(os.path.join(mount.root, "db"), exist_ok=True)
    with basedir_lock.hold(mount.root):
        before = recover.resolve(mount.root, mount.url, keep=True)
        coming = sorted(set(arriving(remote, local.tree(mount.root))) | set(before))
        with recover.recorded(mount.root, coming):
            yield


def _stages(url: str, mount: Mount, found: MountRun) -> set[str]:
    got: set[str] = set()
    for stage in stages(mount.kind):
        got.update(pull(url, mount.root, stage))
    found.received += len(got)
    return got


def _remove(
    config: Config, mount: Mount, module: str, remote: dict, got: set[str], found: MountRun
) -> None:
    """Deletions last: the active's deleted files go, files it never had go to quarantine."""
    assert config.replication is not None
    manifest = local.read_manifest(config.output, module)
    plan = removals(local.tree(mount.root), set(remote) | got, manifest)
    now = time.time()
    for rel in plan.quarantine:
        moved = local.quarantine(mount.root, rel, config.replication.quarantine, module, now)
        found.quarantined.append(Quarantined(mount.url, rel, moved, now))
    for rel in plan.delete:
        local.remove_file(mount.root, rel)
        found.deleted += 1
    for rel in plan.directories:
        found.deleted += local.remove_empty_dir(mount.root, rel)


def _database(url: str, mount: Mount, found: MountRun, last: bool) -> bool:
    """Pull the active's database copy; install it when it describes this tree. Whether the
    run may end (it matched, or this was the last round: the previous database stays)."""
    copy = os.path.join(mount.root, DB_COPY)
    os.makedirs(copy, exist_ok=True)
    pull(f"{url}{DB_COPY}/", copy, DATABASE)
    if database.matches(mount.root):
        database.install(mount.root)
        found.database = "database installed"
        return True
    found.database = "database not installed (the active kept changing): the previous stays"
    return last


def _replica(url: str, remote: dict[str, Entry]) -> MountReplica:
    serial = newest_serial(remote)
    if serial is None:
        return MountReplica(url)
    times = [
        _epoch(entry.when)
        for path, entry in remote.items()
        if path.endswith(f"/snapshots/{serial}/InRelease")
    ]
    return MountReplica(url, serial, max(times) if times else None)


def _epoch(when: str) -> float:
    """rsync lists mtimes in the local time zone of the listing process (this one)."""
    return float(time.mktime(time.strptime(when, "%Y/%m/%d %H:%M:%S")))
