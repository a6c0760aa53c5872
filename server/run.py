"""Run the origin: bind, announce, reload on SIGHUP, finish in-flight requests on SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp import web

from rewrite_rules import CacheClass
from snapfront.config import Config, ConfigError, load

from . import access_log
from .app import Origin, make_handler
from .protocol import Server
from .workers import supervise

log = logging.getLogger("snapfront")

MAX_REQUEST_LINE = 65536
"""Large enough that our own 414 for over-long paths answers before aiohttp's parser does."""
SHUTDOWN_TIMEOUT = 30.0


def serve(config: Config, announce: Callable[[str], None] = print) -> int:
    """Serve until SIGTERM or SIGINT with `workers` processes; returns the exit status."""
    host = config.host
    shown = f"[{host}]" if ":" in host else host

    def listening(port: int) -> None:
        announce(f"listening on http://{shown}:{port}/")

    count = config.worker_count()
    if count == 1:
        return _run(_serve(config, config.port, lambda port: listening(port)))

    def worker(host: str, port: int, ready: Callable[[], None]) -> int:
        return _run(_serve(config, port, lambda _: ready(), reuse_port=True))

    return supervise(host, config.port, count, worker, listening)


def _run(main: Coroutine[Any, Any, int]) -> int:
    """Run on the stdlib loop (sendfile); SNAPFRONT_LOOP=uvloop exists to measure the other."""
    factory = None
    if os.environ.get("SNAPFRONT_LOOP") == "uvloop":
        import uvloop

        factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)


async def _serve(
    config: Config, port: int, ready: Callable[[int], None], reuse_port: bool = False
) -> int:
    origin = Origin(config)
    server = Server(
        make_handler(origin),
        error_cache_control=origin.cache_control(CacheClass.ERROR),
        access_log=logging.getLogger("snapfront.access"),
        access_log_class=access_log.AccessLogger,
        max_line_size=MAX_REQUEST_LINE,
    )
    runner = web.ServerRunner(server, handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT)
    await runner.setup()
    site = web.TCPSite(runner, config.host, port, backlog=1024, reuse_port=reuse_port or None)
    await site.start()
    ready(runner.addresses[0][1])

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGHUP, lambda: _reload(origin))
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        access_log.flush()
    return 0


def _reload(origin: Origin) -> None:
    """SIGHUP: re-read the config and the codenames; a broken config keeps the old one."""
    old = origin.config
    try:
        new = load(old.path)
    except ConfigError as exc:
        print(f"snapfront: reload refused: {exc}", file=sys.stderr, flush=True)
        return
    if (new.host, new.port, new.workers) != (old.host, old.port, old.workers):
        log.warning("listen or workers changed; restart snapfront to apply that")
    origin.apply(new)
    log.info("reloaded %s: %d mounts", new.path, len(new.mounts))
