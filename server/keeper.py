"""serve's side of the watcher's keeper (server.companion): fork it, wait for the first build,
notice when the keeper itself dies, and start another.

The keeper restarts a dead watcher; serve restarts a dead keeper (an operator's SIGTERM or
SIGKILL, the OOM killer), which would otherwise leave pages unkept with nothing said. serve
(the single serving process, or the supervisor of several) looks about once a second: a dead
keeper is logged as an error and replaced after a pause (2 s, doubling up to 60 s while they
keep dying); meanwhile `/-/ready` says "watcher dead" (its status file names a pid that is
gone, or goes stale).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterator

from .companion import RESTART_PAUSE, STEADY, Companion, describe, fork_keeper, stop, wait_ready

log = logging.getLogger("snapfront")

TICK = 1.0
"""Seconds between serve's looks at its keeper."""


class Keeper:
    """The keeper of one companion, as serve sees it; pid 0 while none runs."""

    def __init__(self, companion: Companion) -> None:
        self.companion = companion
        self.pid = 0
        self.lifeline = -1  # the write end: serve closing it tells the keeper to go
        self.started = 0.0
        self.due: float | None = None  # when a successor starts
        self.pause = RESTART_PAUSE[0]
        self.closing = False

    def start(self, first: bool = True) -> int:
        """Fork a keeper; the read end of its first build's ready pipe (-1 unless `first`)."""
        self.pid, ready_r, self.lifeline = fork_keeper(self.companion, first)
        self.started, self.due = time.monotonic(), None
        return ready_r

    def poll(self) -> None:
        """About once a second, from serve: report a dead keeper; start its successor when due."""
        if self.closing:
            return
        if self.pid:
            try:
                done, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                return  # the supervisor reaps every child: it calls exited()
            if done:
                self.exited(status)
        elif self.due is not None and time.monotonic() >= self.due:
            self.start(first=False)
            log.warning("started another keeper of the watcher (pid %d)", self.pid)

    def reaped(self, pid: int, status: int) -> None:
        """The supervisor reaped `pid`, not one of its workers: maybe the keeper."""
        if pid == self.pid and not self.closing:
            self.exited(status)

    def exited(self, status: int) -> None:
        """The keeper is gone (reaped here or by the supervisor): say so, plan its successor."""
        if time.monotonic() - self.started > STEADY:
            self.pause = RESTART_PAUSE[0]
        log.error("the watcher's keeper (pid %d) exited with %s: pages are not kept current; "
                  "another starts in %g s", self.pid, describe(status), self.pause)  # fmt: skip
        os.close(self.lifeline)
        self.pid, self.lifeline = 0, -1
        self.due = time.monotonic() + self.pause
        self.pause = min(self.pause * 2, RESTART_PAUSE[1])

    def signal(self, signum: int) -> None:
        if self.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def stop(self) -> None:
        """Serving ends: no successor; the keeper (and its watcher) stopped and reaped."""
        self.closing = True
        if self.lifeline >= 0:
            os.close(self.lifeline)
            self.lifeline = -1
        if self.pid:
            stop(self.pid)


@contextlib.contextmanager
def beside(companion: Companion | None) -> Iterator[Keeper | None]:
    """Fork the keeper of `companion`, wait until its first run is ready (or gone), and stop
    it when serving ends. SIGTERM/SIGINT while waiting stop it and exit 0."""
    if companion is None:
        yield None
        return
    keeper = Keeper(companion)
    ready_r = keeper.start()
    try:
        if not wait_ready(ready_r):
            log.warning("the watcher exited before its first build; serving anyway")
        yield keeper
    finally:
        keeper.stop()
