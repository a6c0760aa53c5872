"""The watcher and the intent records of its snapshots and repository mounts (basedir.intent).

A snapshots mount's db/ is not watched (reprepro rewrites its databases on every run), so the
record is polled: one stat per mount a second. A record that came or went is a change of the
mount's serials (a take's serial counts from the moment its record is removed): the archive
is re-read and its pages and trace follow. A record whose operation no longer runs (killed)
is resolved here as the next command would, once per record, when this process may write the
basedir and no command holds its lock; else one line says who will: a snapshots mount's by
lifecycle.recover, a repository mount's by suites.recover (a killed `snapfront suite`
change rolled back or finished; it hands the lifecycle's own operations to lifecycle.recover).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable

from snapfront.base.stamps import Stamp, stamp
from snapfront.basedir.intent import intent_path, interrupted
from snapfront.rewrite_rules import Mount, MountKind

log = logging.getLogger("snapfront.watch")

POLL_SECONDS = 1.0
RECOVERED = {MountKind.SNAPSHOTS: "snapshot", MountKind.REPOSITORY: "suite"}
"""The mount kinds whose interrupted operations the watcher resolves → the command that
would otherwise (`snapfront snapshot …`, `snapfront suite …`)."""


class IntentPoll:
    def __init__(self, resolve: bool = True) -> None:
        self.resolve = resolve
        self._stamps: dict[str, Stamp] = {}
        self._tried: dict[str, Stamp] = {}

    def changed(self, mounts: Iterable[Mount], active: bool = True) -> list[str]:
        """The records (paths) that came, changed or went since the last call; an interrupted
        one is resolved first (its removal is then the change), on an active host only: a
        passive one's basedirs are copies of the active's."""
        found = []
        for mount in mounts:
            if mount.kind not in RECOVERED:
                continue
            path = intent_path(mount.root)
            now = stamp(path)
            due = active and self.resolve and self._tried.get(mount.url) != now
            if now is not None and due:
                if resolve(mount):
                    self._tried[mount.url] = now
                now = stamp(path)
            if now != self._stamps.get(mount.url):
                found.append(path)
            self._stamps[mount.url] = now
        return found


def resolve(mount: Mount) -> bool:
    """Finish or roll back `mount`'s interrupted operation, if this process may; whether that
    was tried (False: not now, a command or a live reprepro holds the basedir: next poll)."""
    from snapfront.base.errors import Failed, Refused
    from snapfront.basedir.tools import MissingTool
    from snapfront.lifecycle import basedir_lock, stale_lock
    from snapfront.lifecycle.repo import Repo

    if mount.kind is MountKind.REPOSITORY:
        from snapfront.suites.recover import resolve as recover
    else:
        from snapfront.lifecycle.recover import resolve as recover

    pending = interrupted(mount.root)
    if pending is None:
        return False
    writable = all(os.access(os.path.join(mount.root, d), os.W_OK) for d in ("", "db", "dists"))
    if not writable:
        log.warning(
            "snapfront: %s: interrupted %s: this watcher may not write %s; the next "
            "`snapfront %s` command on %s resolves it",
            mount.url, pending.describe(), mount.root, RECOVERED[mount.kind], mount.url,
        )  # fmt: skip
        return True
    repo = Repo(mount.root)
    try:
        with basedir_lock.hold(mount.root, wait=False):
            if pending.operation == "replicate":  # a passive's run, killed; now promoted
                from snapfront.replication.recover import resolve as undo

                undo(mount.root, mount.url)  # logs its line
                return True
            stale_lock.clear_if_stale(repo.root, repo.reprepro)
            if os.path.lexists(stale_lock.lockfile(repo.root)):
                return False  # a live reprepro: never wait for it here
            recover(repo, mount.url)  # logs its line
    except BlockingIOError:
        return False  # a command holds the lock: it resolves it first
    except (Failed, Refused, MissingTool) as exc:
        log.warning("snapfront: %s", exc)
    return True
