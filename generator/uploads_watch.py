"""The watcher and the uploads of its repository mounts (suites.uploads).

A change in a repository mount's incoming/ (not in incoming/rejected/) makes that mount due
once the directory has been quiet a moment (dput copies one file after another); then every
complete upload there goes to reprepro, on the watcher's thread, under the basedir lock
(never waited for: a command holding it means trying again a second later). What reprepro
writes in dists/ and pool/ is heard like any other change: pages rebuilt, caches purged.
At start and at each rescan every repository mount is due: uploads made while no watcher
ran, and those incomplete too long (taken aside). Only on an active host.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable

from snapfront.rewrite_rules import Mount, MountKind

log = logging.getLogger("snapfront.watch")

QUIET_SECONDS = 0.3
"""incoming/ quiet this long before it is looked at (an incomplete upload just waits more)."""
RETRY_SECONDS = 1.0
"""After finding the basedir locked by a command."""


class IncomingPoll:
    def __init__(self) -> None:
        self._due: dict[str, float] = {}  # mount URL → monotonic time
        self._unwritable: set[str] = set()

    def heard(self, mounts: Iterable[Mount], path: str) -> bool:
        """A watchdog thread saw `path` change: whether it is in some mount's incoming/."""
        from snapfront.suites.incoming import REJECTED_DIR
        from snapfront.suites.names import INCOMING_DIR

        for mount in mounts:
            if mount.kind is not MountKind.REPOSITORY:
                continue
            rel = os.path.relpath(path, mount.root).split(os.sep)
            if rel[0] == INCOMING_DIR and rel[1:2] != [REJECTED_DIR]:
                self._due[mount.url] = time.monotonic() + QUIET_SECONDS
                return True
        return False

    def all_due(self, mounts: Iterable[Mount]) -> None:
        now = time.monotonic()
        for mount in mounts:
            if mount.kind is MountKind.REPOSITORY:
                self._due.setdefault(mount.url, now)

    def due(self) -> float | None:
        return min(self._due.values(), default=None)

    def run(self, mounts: Iterable[Mount], active: bool) -> None:
        """Process the mounts that are due (one failing is logged; the others go on)."""
        now = time.monotonic()
        for mount in mounts:
            when = self._due.get(mount.url)
            if when is None or when > now:
                continue
            del self._due[mount.url]
            if active and self._writable(mount):
                self._process(mount)

    def _process(self, mount: Mount) -> None:
        from snapfront.base.errors import CommandError
        from snapfront.basedir.tools import MissingTool, ToolError
        from snapfront.suites.uploads import process

        try:
            done = process(mount.root, wait=False)
        except BlockingIOError:  # a command holds the basedir
            self._due[mount.url] = time.monotonic() + RETRY_SECONDS
            return
        except (CommandError, ToolError, MissingTool, OSError) as exc:
            log.error("snapfront: %s: processing incoming/ failed: %s", mount.url, exc)
            return
        for result in done.results:
            if result.outcome != "waiting":
                log.info("watch: %s: %s %s into %s: %s", mount.url, result.changes,
                         result.outcome, result.suite, result.detail)  # fmt: skip

    def _writable(self, mount: Mount) -> bool:
        """Whether this process may process uploads there (said once per mount when not)."""
        from snapfront.suites.names import INCOMING_DIR

        folder = os.path.join(mount.root, INCOMING_DIR)
        if not os.path.isdir(folder):
            return False
        needed = [folder, os.path.join(mount.root, "db"), mount.root]
        if all(os.access(p, os.W_OK) for p in needed):
            self._unwritable.discard(mount.url)
            return True
        if mount.url not in self._unwritable:
            self._unwritable.add(mount.url)
            log.warning(
                "snapfront: %s: this watcher may not write %s: uploads there wait for "
                "`snapfront suite process %s` run as its owner",
                mount.url, mount.root, mount.url,
            )  # fmt: skip
        return False
