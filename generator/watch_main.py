"""The watcher as a process's main job: `snapfront watch`, or beside `snapfront serve`.

Wires what surrounds the Watcher loop (generator.watch): signals, the CDN purger, the
heartbeat that keeps OUTPUT/.snapfront/watcher.json current for the serving processes
(health.watcher_file), and the build and purge metrics (metrics.watcher).
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable

from snapfront.base.config import Config
from snapfront.purge import Purger

from .watch import OnChange, Watcher
from .watch_status import BuildLog

log = logging.getLogger("snapfront.watch")


def run_watcher(
    config: Config,
    ready: Callable[[], None] = lambda: None,
    lifeline: int | None = None,
    on_change: OnChange | None = None,
) -> int:
    """The watcher as a process's main job (`snapfront watch`, or beside `snapfront serve`):
    the first full build, `ready()`, then watch until SIGTERM/SIGINT; SIGHUP reloads.
    Without `on_change`, each batch is purged from the config's [[cdn]] caches.
    Its state goes to OUTPUT/.snapfront/watcher.json on every heartbeat (health.watcher_file)
    and its builds and purges to the metrics (metrics.watcher)."""
    from snapfront.health import watcher_file
    from snapfront.health.heartbeat import Heartbeat
    from snapfront.metrics.watcher import WatcherMetrics

    counted = WatcherMetrics()
    purger = Purger(config)
    watcher = Watcher(config, on_change or purger.on_change, log=BuildLog(counted.build))
    watcher.serve_reports_refusals = lifeline is not None

    def beat() -> None:
        state = watcher.log.state(watcher.pending_since(), purger.state())
        watcher_file.write(config.output, state)
        counted.purges(state.purger)

    heart = Heartbeat(beat).start()
    signal.signal(signal.SIGTERM, lambda *_: watcher.stop())
    signal.signal(signal.SIGINT, lambda *_: watcher.stop())
    signal.signal(signal.SIGHUP, lambda *_: watcher.request_reload())
    report = watcher.start()
    log.info("built %s: %s", config.output, report.summary())
    mounts = ", ".join(m.url for m in config.mounts)
    log.info(
        "watching %s (quiet %g s, max_wait %g s)", mounts, config.watch.quiet, config.watch.max_wait
    )
    ready()
    try:
        watcher.run(lifeline)
        purger.close(timeout=5.0)  # let the purge in flight finish, within the stop timeout
    finally:
        heart.stop()
    return 0
