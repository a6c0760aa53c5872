"""The watcher process's metrics: each build as it ends, purge totals on each heartbeat."""

from __future__ import annotations

from snapfront.health.watcher_file import LastBuild, PurgerState

from . import families


class WatcherMetrics:
    def __init__(self) -> None:
        self._purger = PurgerState()
        for outcome in ("ok", "failed"):  # every series exists from the start, at 0
            families.BUILDS.labels(outcome)
        for outcome in ("purged", "failed", "skipped"):
            families.PURGES.labels(outcome)

    def build(self, last: LastBuild) -> None:
        families.BUILDS.labels("ok" if last.ok else "failed").inc()
        families.BUILD_SECONDS.observe(last.seconds)
        families.FILES_WRITTEN.inc(last.written)
        families.PAGES_RENDERED.inc(last.pages)

    def purges(self, now: PurgerState) -> None:
        """Fold the purger's totals in: only what grew since the last call is added."""
        before, self._purger = self._purger, now
        for outcome in ("purged", "failed", "skipped"):
            grown = getattr(now, outcome) - getattr(before, outcome)
            if grown > 0:
                families.PURGES.labels(outcome).inc(grown)
        if now.retries > before.retries:
            families.PURGE_RETRIES.inc(now.retries - before.retries)
