"""A daemon thread that calls `beat()` every `interval` seconds until stopped.

The watcher's main loop can spend minutes in one build; its status file must keep saying
"alive" meanwhile, so the heartbeat has a thread of its own."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("snapfront.health")

HEARTBEAT_SECONDS = 2.0


class Heartbeat:
    def __init__(self, beat: Callable[[], None], interval: float = HEARTBEAT_SECONDS) -> None:
        self._beat = beat
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def start(self) -> Heartbeat:
        self.beat()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(self._interval + 1.0)
        self.beat()  # the final state: the last build as it ended

    def beat(self) -> None:
        try:
            self._beat()
        except Exception:  # a full disk must not stop the watcher; readiness will say so
            log.exception("heartbeat failed")

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.beat()
