"""What the watcher tells the serving processes (health.watcher_file) and the metrics.

Kept apart from the watcher's loop: it only records each build's outcome and, on every
heartbeat, turns that into the status file's WatcherState.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

from snapfront.health.watcher_file import LastBuild, PurgerState, WatcherState

from .build import Report


class BuildLog:
    """Builds so far, and the last one; safe to read from the heartbeat thread."""

    def __init__(self, on_build: Callable[[LastBuild], None] | None = None) -> None:
        self.started = time.time()
        self.builds = 0
        self.failed = 0
        self.last: LastBuild | None = None
        self.on_build = on_build
        self._lock = threading.Lock()

    def record(self, report: Report | None, seconds: float, first: float | None) -> None:
        """A build ended (`report` None: it raised); `first`: monotonic time of the first
        change of its batch (None for a rescan)."""
        lag = time.monotonic() - first if first is not None else 0.0
        last = LastBuild(
            finished=time.time(),
            ok=report is not None,
            seconds=seconds,
            written=report.written if report else 0,
            pages=report.pages + report.feeds + report.traces if report else 0,
            lag=lag,
        )
        with self._lock:
            self.builds += 1
            self.failed += report is None
            self.last = last
        if self.on_build is not None:
            self.on_build(last)

    def state(self, pending_since: float | None, purger: PurgerState) -> WatcherState:
        lag = time.monotonic() - pending_since if pending_since is not None else 0.0
        with self._lock:
            return WatcherState(
                pid=os.getpid(),
                started=self.started,
                heartbeat=time.time(),
                builds=self.builds,
                failed_builds=self.failed,
                lag=lag,
                last_build=self.last,
                purger=purger,
            )
