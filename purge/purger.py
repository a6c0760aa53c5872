"""Tell the caches in front what changed: HTTP PURGE per URL, in a safe order, off the hot path.

The watcher hands each batch of changes to `Purger.on_change`, which only queues it: one
background thread maps files to URLs (`purge.decide`, with the archives the change carries),
then purges stage by stage — index files, the Release family, pages — on every `[[cdn]]`, for
every Host it keys on. A stage starts only when the one before it succeeded on that cache: a
new InRelease must never be exposed beside an old Packages. Failures are retried with
exponential back-off, logged and counted. Batches that queue up while one is purging are
merged, so a burst of changes costs one pass. Each finished batch logs one line,
`purge batch: N URLs …`, that operators and tests can wait for.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from snapfront.base.config import Config
from snapfront.health.watcher_file import PurgerState
from snapfront.rewrite_rules.reverse import PurgeStage

from .changes import Changes
from .decide import purge_stages
from .send import Outcome, Sender

log = logging.getLogger("snapfront.purge")

MAX_FAILURE_LINES = 5
"""Per batch; a cache that is down fails every URL, and one line says as much as a thousand."""


def purge_now(config: Config, changes: Changes, timeout: float = 60.0) -> None:
    """Purge what one command changed from every [[cdn]], and wait (up to `timeout`) until it
    is done: a command that re-signed an InRelease must not exit while a cache still has the
    old one. Nothing happens without [[cdn]]. The archives `changes` carries from before the
    command keep the URLs of a snapshot it removed (snapshot gc) known, so they are purged."""
    if not config.cdns:
        return
    purger = Purger(config)
    purger.on_change(changes)
    purger.close(timeout)


@dataclass(frozen=True)
class Cache:
    """One cache to purge: where to send PURGE, and the Host names its objects are keyed on."""

    purge: str
    hosts: tuple[str, ...]


@dataclass
class PurgeStats:
    """Totals since start, for tests and operators: URLs are counted once per cache and Host."""

    batches: int = 0
    purged: int = 0
    failed: int = 0
    skipped: int = 0  # not sent: an earlier stage had failed on that cache
    retries: int = 0


_STOP = object()


class Purger:
    """Purges the `[[cdn]]` caches of a config; does nothing (and starts no thread) without."""

    def __init__(
        self,
        config: Config,
        *,
        attempts: int = 5,
        backoff: float = 0.2,
        timeout: float = 5.0,
        concurrency: int = 8,
    ) -> None:
        default_host = urlsplit(config.public_url).netloc
        self.caches = tuple(Cache(c.purge, c.hosts or (default_host,)) for c in config.cdns)
        self.attempts, self.backoff = attempts, backoff
        self.stats = PurgeStats()
        self._config = config
        self._sender = Sender(timeout)
        self._concurrency = concurrency
        self._queue: queue.Queue = queue.Queue()
        self._idle = threading.Condition()
        self._pending = 0
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def on_change(self, changes: Changes) -> None:
        """Queue one watcher batch (or what a command changed); returns at once."""
        if changes.data_paths or changes.output_paths:
            self._submit(changes)

    def state(self) -> PurgerState:
        """Totals and the queue (batches waiting or purging), for the watcher's status file."""
        with self._lock:
            stats = self.stats
            return PurgerState(
                self._pending, stats.batches, stats.purged, stats.failed, stats.skipped,
                stats.retries,
            )  # fmt: skip

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every queued batch is done; False on timeout. For tests and shutdown."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Finish what is queued (up to `timeout`), then stop the thread."""
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(timeout)

    def _submit(self, changes: Changes) -> None:
        if not self.caches:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="purge", daemon=True)
                self._thread.start()
        with self._idle:
            self._pending += 1
        self._queue.put(changes)

    def _run(self) -> None:
        with ThreadPoolExecutor(self._concurrency, thread_name_prefix="purge") as pool:
            while True:
                item = self._queue.get()
                if item is _STOP:
                    return
                burst = [item]
                while True:  # merge whatever queued up meanwhile: one pass for a burst
                    try:
                        more = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if more is _STOP:
                        self._queue.put(_STOP)
                        break
                    burst.append(more)
                try:
                    self._purge(pool, burst)
                except Exception:  # a purge must never take the watcher or the server down
                    log.exception("purge batch failed")
                finally:
                    with self._idle:
                        self._pending -= len(burst)
                        self._idle.notify_all()

    def _purge(self, pool: ThreadPoolExecutor, burst: list[Changes]) -> None:
        started = time.monotonic()
        config = self._config
        stages = purge_stages(config.mounts, config.output, burst, os.path.exists)
        if not any(stages):
            return
        tally = _Tally()
        broken: set[Cache] = set()  # a stage failed there: later stages would expose it
        for stage in stages:
            jobs = []
            for cache in self.caches:
                if cache in broken:
                    tally.skipped += len(cache.hosts) * len(stage)
                else:
                    jobs += [(cache, host, url) for host in cache.hosts for url in stage]
            broken |= {failure.cache for failure in self._send_all(pool, jobs, tally)}
        self._record(tally)
        for failure in tally.failures[:MAX_FAILURE_LINES]:
            log.warning("purge failed: %s", failure.describe())
        if len(tally.failures) > MAX_FAILURE_LINES:
            log.warning("purge failed: ... and %d more", len(tally.failures) - MAX_FAILURE_LINES)
        log.info(
            "purge batch: %d URLs (%s) on %d %s: %d purged, %d failed, "
            "%d skipped, %d retries, %.2f s",
            sum(len(stage) for stage in stages),
            ", ".join(f"{len(stages[stage])} {stage.name.lower()}" for stage in PurgeStage),
            len(self.caches),
            "cache" if len(self.caches) == 1 else "caches",
            tally.purged,
            len(tally.failures),
            tally.skipped,
            tally.retries,
            time.monotonic() - started,
        )

    def _send_all(
        self, pool: ThreadPoolExecutor, jobs: list[tuple[Cache, str, str]], tally: _Tally
    ) -> list[Outcome]:
        """Send every job, retrying transient failures with back-off; returns the failures."""
        failed: list[Outcome] = []
        for attempt in range(self.attempts):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
                tally.retries += len(jobs)
            outcomes = list(pool.map(lambda job: self._sender.purge(*job), jobs))
            tally.purged += sum(o.ok for o in outcomes)
            failed += [o for o in outcomes if not o.ok and not o.retry]
            again = [(job, o) for job, o in zip(jobs, outcomes, strict=True) if o.retry]
            if not again or attempt + 1 == self.attempts:
                failed += [o for _, o in again]
                break
            jobs = [job for job, _ in again]
        tally.failures += failed
        return failed

    def _record(self, tally: _Tally) -> None:
        with self._lock:
            self.stats.batches += 1
            self.stats.purged += tally.purged
            self.stats.failed += len(tally.failures)
            self.stats.skipped += tally.skipped
            self.stats.retries += tally.retries


@dataclass
class _Tally:
    """One batch's counts."""

    purged: int = 0
    skipped: int = 0
    retries: int = 0
    failures: list[Outcome] = field(default_factory=list)
