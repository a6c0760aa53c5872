"""Run the origin: bind, announce, reload on SIGHUP, finish in-flight requests on SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable

from aiohttp import web

from snapfront.config import Config, ConfigError, load

from .access_log import AccessLogger
from .app import Origin, make_handler

log = logging.getLogger("snapfront")

MAX_REQUEST_LINE = 65536
"""Large enough that our own 414 for over-long paths answers before aiohttp's parser does."""
SHUTDOWN_TIMEOUT = 30.0


def serve(config: Config, announce: Callable[[str], None] = print) -> int:
    """Serve until SIGTERM or SIGINT; returns the exit status."""
    return asyncio.run(_serve(config, announce))


async def _serve(config: Config, announce: Callable[[str], None]) -> int:
    origin = Origin(config)
    server = web.Server(
        make_handler(origin),
        access_log=logging.getLogger("snapfront.access"),
        access_log_class=AccessLogger,
        max_line_size=MAX_REQUEST_LINE,
    )
    runner = web.ServerRunner(server, handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT)
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port, backlog=1024)
    await site.start()
    host, port = runner.addresses[0][:2]
    shown = f"[{host}]" if ":" in host else host
    announce(f"listening on http://{shown}:{port}/")

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGHUP, lambda: _reload(origin))
    try:
        await stop.wait()
    finally:
        log.info("stopping: finishing requests in flight")
        await runner.cleanup()
    return 0


def _reload(origin: Origin) -> None:
    """SIGHUP: re-read the config and the codenames; a broken config keeps the old one."""
    old = origin.config
    try:
        new = load(old.path)
    except ConfigError as exc:
        print(f"snapfront: reload refused: {exc}", file=sys.stderr, flush=True)
        return
    if (new.host, new.port) != (old.host, old.port):
        log.warning("listen changed to %s:%s; restart to rebind", new.host, new.port)
    origin.apply(new)
    log.info("reloaded %s: %d mounts", new.path, len(new.mounts))
