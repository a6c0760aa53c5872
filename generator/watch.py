"""The watcher: pages and trace files follow the roots while reprepro, rsync and uploaders write.

watchdog threads only record what changed (generator.observe → a Batch); one loop, on the
thread that called `run`, sleeps in select() until a batch is due (quiet for `[watch] quiet`
seconds, or `max_wait` after its first change), a rescan is due (`rescan` seconds, or a
watched directory was lost) or it is stopped, then maps each changed path to the parts that
show it (generator.plan) and has the Builder regenerate only those. Idle, it wakes every
HEALTH_SECONDS to stat the watched directories, and otherwise costs nothing. A batch that
changes a trace overtakes a long build under way (generator.batch.Batch.pressing).

Pages are built here, not in the server's event loop: `snapfront serve` runs the watcher in a
process of its own (server.run), so rendering never holds the GIL of a process that answers
requests, and with several workers exactly one watcher runs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import threading
import time
from collections import Counter
from collections.abc import Callable

from snapfront.base.config import Config, ConfigError, load
from snapfront.purge import Changes
from snapfront.rewrite_rules import Archive

from .batch import Batch, relative, touches_trace
from .build import Builder, Report
from .model import next_midnight
from .observe import Observers
from .plan import Change, affected
from .watch_polls import Polls
from .watch_status import BuildLog

log = logging.getLogger("snapfront.watch")

HEALTH_SECONDS = 5.0
"""How often watched directories are checked for having vanished or been replaced."""
HASH_SAVE_SECONDS = 60.0
"""How often the sha256 cache is saved between rescans (and always when the watcher stops)."""

OnChange = Callable[[Changes], None]
"""Called after each batch (or rescan) that changed something, on the watcher's thread, with
the archives as the builder read them before and after; an exception is logged, no more."""
Observing = Callable[[Callable[[str, bool, bool], None]], Observers]


class Watcher:
    """One config's watcher: `start` (watch, then build everything), then `run` on one thread;
    `stop`, `request_reload` and `heard` may be called from any thread or a signal handler."""

    def __init__(
        self,
        config: Config,
        on_change: OnChange | None = None,
        observing: Observing = Observers,
        health_seconds: float = HEALTH_SECONDS,
        log: BuildLog | None = None,
    ) -> None:
        self.config = config
        self.log = log or BuildLog()
        self.on_change = on_change
        self._observing = observing
        self.builder = Builder(config, save_every=HASH_SAVE_SECONDS)
        self.batch = Batch(config.watch.quiet, config.watch.max_wait)
        self.rebuilds: Counter[str] = Counter()
        """URL → how many times this watcher rendered it (for tests and the benchmark)."""
        self.observers: Observers | None = None
        self._lock = threading.Lock()  # the batch is filled by watchdog's threads
        self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._stopping = False
        self._reload = False
        self._next_rescan = 0.0
        self._next_health = 0.0
        self.health_seconds = health_seconds
        self._polls = Polls(self.builder)  # kept pages, intent records, replication runs
        self._seen: dict[str, Archive] = {}
        """The archives as the last build left them (a change's `before`), kept across reloads."""
        self.serve_reports_refusals = False
        """Beside `serve`, which tells this watcher only of a config that loaded: one that fails
        here changed again since, and serve says so itself (one line per refusal)."""

    # --- called from other threads or signal handlers --------------------------------------

    def heard(self, path: str, is_dir: bool, structural: bool) -> None:
        """A watchdog thread saw `path` change."""
        codenames = {url: a.codenames for url, a in self.builder.archives.items()}
        urgent = touches_trace(self.config.mounts, codenames, path, is_dir, structural)
        self.batch_add(path, is_dir, structural, urgent)
        self._polls.incoming.heard(self.config.mounts, path)
        self._wake()

    def stop(self) -> None:
        self._stopping = True
        self._wake()

    def events_lost(self) -> None:
        """The kernel's event queue overflowed: rescan once the burst has been quiet a moment."""
        self._next_rescan = min(self._next_rescan, time.monotonic() + self.config.watch.quiet)
        self._wake()

    def request_reload(self) -> None:
        self._reload = True
        self._wake()

    def _wake(self) -> None:
        with contextlib.suppress(BlockingIOError):  # a byte already waits: enough
            os.write(self._wake_w, b".")

    def batch_add(self, path: str, is_dir: bool, structural: bool, urgent: bool = False) -> None:
        with self._lock:
            self.batch.add(path, is_dir, structural, time.monotonic(), urgent)

    def _due(self) -> float | None:
        """When to wake for a batch: when it is due; at once while a build has parts left."""
        with self._lock:
            return time.monotonic() if self.batch.left else self.batch.due()

    def _pressing(self) -> bool:
        """A build under way asks, after each output: should an urgent batch overtake it?"""
        with self._lock:
            return self.batch.pressing(time.monotonic())

    def pending_since(self) -> float | None:
        """Monotonic time of the oldest change not yet built (None: nothing waits)."""
        with self._lock:
            return self.batch.first

    # --- the loop ------------------------------------------------------------------------

    def start(self) -> Report:
        """Watch first, then build everything: nothing written during the build is missed."""
        self.observers = self._observing(self.heard)
        self.observers.on_lost = self.events_lost
        self.observers.start(self.config.mounts)
        now = time.monotonic()
        self._next_health = now + self.health_seconds
        return self.rescan(quietly=True)

    def run(self, lifeline: int | None = None) -> None:
        """Until stop() (or EOF on `lifeline`, the parent's end of a pipe: it died or quit)."""
        if self.observers is None:
            self.start()
        watched = [self._wake_r] + ([lifeline] if lifeline is not None else [])
        try:
            while not self._stopping:
                due = [self._next_rescan, self._next_health, self._due()]
                due.append(self._polls.due(self.config))
                timeout = max(0.0, min(d for d in due if d is not None) - time.monotonic())
                ready, _, _ = select.select(watched, [], [], timeout)
                if self._wake_r in ready:
                    with contextlib.suppress(BlockingIOError):
                        os.read(self._wake_r, 4096)
                if lifeline in ready and not os.read(lifeline, 64):
                    break
                self._step()
        finally:
            self.close()

    def close(self) -> None:
        self._polls.stop()
        if self.observers is not None:
            self.observers.stop()
            self.observers = None
        self.builder.save()

    def _step(self) -> None:
        if self._stopping:
            return
        if self._reload:
            self._reload = False
            self._apply_reload()
        now = time.monotonic()
        if now >= self._next_health:
            self._next_health = now + self.health_seconds
            self._check()
        self._polls.run(self.config, now, self.batch_add)
        with self._lock:
            due = self.batch.due()
        if due is not None and time.monotonic() >= due:
            self._check()  # a structural event may be a watched directory coming or going
            with self._lock:
                first, paths = self.batch.first, self.batch.take()
            self.process(paths, first)
        elif self.batch.left:  # what an overtaken build left, while the next batch is quiet
            self.process({})
        if time.monotonic() >= self._next_rescan:
            self.rescan()

    def _check(self) -> None:
        if self.observers is None:
            return
        for url in self.observers.check():
            mount = next(m for m in self.config.mounts if m.url == url)
            self.batch_add(mount.root, True, True)  # the root "came": its MOUNT part

    # --- building ----------------------------------------------------------------------------

    def rescan(self, quietly: bool = False) -> Report:
        """Everything, compared with what the pages show: only what differs is rewritten.
        The next one comes after `rescan` seconds, or just after 00:00 UTC if sooner: days
        left move then, and every replica re-renders them at once."""
        wait = min(self.config.watch.rescan, next_midnight(time.time()) + 1 - time.time())
        self._next_rescan = time.monotonic() + wait
        with self._lock:
            self.batch.take_left()  # everything is built now
        self._polls.incoming.all_due(self.config.mounts)  # uploads made meanwhile; stale ones

        def build() -> Report:
            return self.builder.full(settled_ns=self._settled())

        return self._run(build, (), quietly)

    def process(
        self, paths: dict[str, tuple[bool, bool]], first: float | None = None
    ) -> Report | None:
        """One batch: changed paths → parts per mount (and those an overtaken build left)."""
        with self._lock:
            parts = self.batch.take_left()
        mounts = [m for m in self.config.mounts if os.path.isdir(m.root)]
        for path, (is_dir, structural) in paths.items():
            for mount in mounts:
                rel = relative(mount, path)
                if rel is None:
                    continue
                archive = self.builder.archives.get(mount.url, Archive())
                found = affected(mount, archive.codenames, Change(rel, is_dir, structural))
                parts.setdefault(mount.url, set()).update(found)
        parts = {url: found for url, found in parts.items() if found}
        if not parts:
            return None
        data = tuple(sorted(paths))

        def build() -> Report:
            return self.builder.update(
                parts, settled_ns=self._settled(), changed=paths, stop=self._pressing
            )

        return self._run(build, data, first=first)

    def _run(
        self,
        build: Callable[[], Report],
        data: tuple[str, ...],
        quietly: bool = False,
        first: float | None = None,
    ) -> Report:
        started = time.monotonic()
        try:
            report = build()
        except Exception:
            log.exception("watch: rebuilding failed; the next change or rescan tries again")
            self.log.record(None, time.monotonic() - started, first)
            return Report(0, 0, 0, 0, 0, 0, 0, 0.0)
        self.log.record(report, time.monotonic() - started, first)
        self.rebuilds.update(report.produced)
        if report.unfinished:  # a trace change overtakes them
            with self._lock:
                self.batch.defer(report.unfinished)
        if data:
            log.info("watch: %d paths changed: %s", len(data), report.summary())
        elif (report.written or report.removed) and not quietly:
            log.info("watch: rescan: %s", report.summary())
        for folder in report.held_back:  # files still being written there: look again
            self.batch_add(os.path.normpath(folder), True, False)
        before, self._seen = self._seen, dict(self.builder.archives)
        if self.on_change is not None and (data or report.changed):
            try:
                self.on_change(Changes(data, report.changed, before, self._seen))
            except Exception:
                log.exception("watch: on_change failed")
        return report

    def _settled(self) -> int:
        return time.time_ns() - int(self.config.watch.quiet * 1e9)

    def _apply_reload(self) -> None:
        """SIGHUP: re-read the config (a broken one is refused and the old one kept), rescan."""
        try:
            new = load(self.config.path)
        except ConfigError as exc:
            if self.serve_reports_refusals:
                log.info("watch: the config changed again since the reload; keeping the old one")
            else:
                log.error("snapfront: reload refused: %s", exc)
            return
        if new != self.config:
            self.close()
            self.config = new
            self.builder = Builder(new, save_every=HASH_SAVE_SECONDS)
            self._polls.rebuilt(self.builder)
            with self._lock:
                self.batch = Batch(new.watch.quiet, new.watch.max_wait)
            self.observers = self._observing(self.heard)
            self.observers.on_lost = self.events_lost
            self.observers.start(new.mounts)
        self.rescan()
