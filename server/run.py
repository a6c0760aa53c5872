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

from . import access_log, sd_notify
from .app import METER, NO_MOUNT, make_handler
from .companion import Companion
from .deadlines import Limits
from .endpoints import Endpoints
from .error_pages import with_error_pages
from .keeper import TICK, Keeper, beside
from .nofile import make_room
from .on_request import Renderer
from .origin import Origin
from .protocol import Server
from .workers import supervise

log = logging.getLogger("snapfront")

MAX_REQUEST_LINE = 65536
"""Large enough that our own 414 for over-long paths answers before aiohttp's parser does."""
SHUTDOWN_TIMEOUT = 30.0
FOLD_SECONDS = 1.0
"""How often a worker adds its plain-Python request counts to the shared metrics."""
UNMETERED = (NO_MOUNT, "none")


def serve(
    config: Config,
    announce: Callable[[str], None] = print,
    companion: Companion | None = None,
    render: Renderer | None = None,
) -> int:
    """Serve until SIGTERM or SIGINT with `workers` processes; returns the exit status.

    A `companion` is forked first, before any socket or thread exists, and serving starts once
    it is ready: one process however many workers there are, and none of its work (rendering
    pages) ever runs on, or holds the GIL of, a process that answers requests. The metrics'
    multiprocess directory exists before either forks, and goes when serving ends.
    `render` writes a missing page that may be rendered on request (server.on_request)."""
    from metrics.process import mark_dead, multiprocess_dir

    host = config.host
    shown = f"[{host}]" if ":" in host else host
    short = make_room(config.max_connections, config.worker_count())
    if short:
        print(short, file=sys.stderr, flush=True)
    watching = companion is not None

    def listening(port: int) -> None:
        announce(f"listening on http://{shown}:{port}/")
        sd_notify.notify("READY=1")  # this is the main process: single worker or supervisor

    with multiprocess_dir(), beside(companion) as keeper:

        def stopping() -> None:
            if keeper is not None:
                keeper.closing = True  # its end is no death to report
            sd_notify.notify("STOPPING=1")

        def hup() -> None:  # SIGHUP reaches the companion through serve, once per signal
            if keeper is not None:
                keeper.signal(signal.SIGHUP)

        if config.worker_count() == 1:
            serving = _serve(
                config, config.port, listening, on_hup=hup, watching=watching, on_stop=stopping,
                render=render, keeper=keeper,
            )  # fmt: skip
            return _run(serving)
        supervisor = os.getpid()

        def worker(host: str, port: int, ready: Callable[[], None]) -> int:
            serving = _serve(
                config, port, lambda _: ready(), reuse_port=True, watching=watching,
                supervisor=supervisor, render=render,
            )  # fmt: skip
            return _run(serving)

        def reload() -> bool:
            """The supervisor's SIGHUP: the new config checked once, for every worker and the
            watcher (a refusal is one line, not one per process); if it loads, all re-read it."""
            if _refused(config.path):
                return False
            hup()
            return True

        return supervise(
            host, config.port, config.worker_count(), worker, listening, on_exit=mark_dead,
            stopping=stopping, reload=reload, **_keeping(keeper),
        )  # fmt: skip


def _keeping(keeper: Keeper | None) -> dict[str, Any]:
    """supervise()'s hooks that look after the watcher's keeper (none without one)."""
    return {} if keeper is None else {"tick": keeper.poll, "reaped": keeper.reaped}


def _run(main: Coroutine[Any, Any, int]) -> int:
    """Run on the stdlib loop (sendfile); SNAPFRONT_LOOP=uvloop exists to measure the other."""
    factory = None
    if os.environ.get("SNAPFRONT_LOOP") == "uvloop":
        import uvloop

        factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)


async def _serve(
    config: Config,
    port: int,
    ready: Callable[[int], None],
    reuse_port: bool = False,
    on_hup: Callable[[], None] = lambda: None,
    watching: bool = False,
    supervisor: int | None = None,
    on_stop: Callable[[], None] = lambda: None,
    render: Renderer | None = None,
    keeper: Keeper | None = None,
) -> int:
    origin = Origin(config, render)
    tally = _tally()
    endpoints = Endpoints(
        origin, watching, supervisor, metered=tally is not None,
        before_scrape=lambda: _fold(tally, server),
    )  # fmt: skip
    server = Server(
        with_error_pages(make_handler(origin, endpoints.answer), origin),
        error_cache_control=origin.cache_control(CacheClass.ERROR),
        limits=lambda: Limits.of(origin.config),  # SIGHUP applies to new connections
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
    if tally is not None:

        def fold() -> None:
            _fold(tally, server)
            loop.call_later(FOLD_SECONDS, fold)

        loop.call_later(FOLD_SECONDS, fold)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, lambda: (on_stop(), stop.set()))
    loop.add_signal_handler(signal.SIGINT, lambda: (on_stop(), stop.set()))
    loop.add_signal_handler(signal.SIGHUP, lambda: _reload(origin) and on_hup())
    if keeper is not None:  # the one serving process watches the keeper

        def look() -> None:
            keeper.poll()
            loop.call_later(TICK, look)

        loop.call_later(TICK, look)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        access_log.flush()
        _fold(tally, server)
    return 0


def _tally() -> Any:
    """Per-request counting into the metrics when `serve` prepared them; else None."""
    from metrics.process import ENV

    if not os.environ.get(ENV):
        return None
    from metrics.tally import Tally

    tally = Tally()
    record = tally.record

    def on_response(request: web.BaseRequest, status: int, sent: int, elapsed: float) -> None:
        mount, cache = request.get(METER, UNMETERED)
        record(mount, cache, status, sent, elapsed)

    access_log.observe(on_response)
    return tally


def _fold(tally: Any, server: Server) -> None:
    if tally is not None:
        tally.fold(server.budget)


def _reload(origin: Origin) -> bool:
    """SIGHUP: re-read the config and the codenames; a broken config keeps the old one (and
    the watcher is not told: it would refuse it too, a second line). True if reloaded."""
    old = origin.config
    try:
        new = load(old.path)
    except ConfigError as exc:
        _say_refused(exc)
        return False
    if (new.host, new.port, new.workers) != (old.host, old.port, old.workers):
        log.warning("listen or workers changed; restart snapfront to apply that")
    origin.apply(new)
    log.info("reloaded %s: %d mounts", new.path, len(new.mounts))
    return True


def _refused(path: str) -> bool:
    """Whether the config at `path` is refused now (said once, on stderr)."""
    try:
        load(path)
    except ConfigError as exc:
        _say_refused(exc)
        return True
    return False


def _say_refused(exc: ConfigError) -> None:
    print(f"snapfront: reload refused: {exc}", file=sys.stderr, flush=True)
