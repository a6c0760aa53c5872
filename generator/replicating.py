"""The watcher of a passive host with [replication] runs `snapfront replicate` every
`interval`, as a child process (a run takes minutes; the watcher's loop and heartbeat go on),
never two at once, and never while the host is active: the role (`role`, `role_file`) is
asked before each run, so a failover needs no restart."""

from __future__ import annotations

import logging
import subprocess
import sys
import time

from snapfront.base.config import Config

log = logging.getLogger("snapfront.watch")


class ReplicationTimer:
    def __init__(self) -> None:
        self.child: subprocess.Popen[bytes] | None = None
        self.next_run = 0.0  # monotonic; the first poll of a passive host starts one

    def poll(self, config: Config, passive: bool) -> None:
        """Called about once a second by the watcher's loop."""
        if self.child is not None:
            status = self.child.poll()
            if status is None:
                return
            if status != 0:
                log.warning("snapfront: replicate exited %d (see its lines above)", status)
            self.child = None
        pulled = config.replication
        if pulled is None or not passive or time.monotonic() < self.next_run:
            return
        self.next_run = time.monotonic() + pulled.interval
        command = [sys.executable, "-m", "snapfront.cli", "replicate", "--config", config.path]
        self.child = subprocess.Popen(command, stdin=subprocess.DEVNULL)

    def stop(self) -> None:
        """The watcher stops: a run under way is stopped too (the next run finishes it)."""
        if self.child is not None and self.child.poll() is None:
            self.child.terminate()
            try:
                self.child.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.child.kill()
                self.child.wait()
        self.child = None
