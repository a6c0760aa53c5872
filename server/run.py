"""Run the origin: bind, announce, reload on SIGHUP, finish in-flight requests on SIGTERM."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import signal
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp import web

from snapfront.base.config import Config
from snapfront.rewrite_rules import CacheClass

from . import access_log, sd_notify, tls
from .app import make_handler
from .companion import Companion
from .deadlines import Limits
from .endpoints import Endpoints
from .error_pages import with_error_pages
from .hot import Hot
from .hot import enabled as hot_enabled
from .https import Certificates, HttpsSite
from .keeper import TICK, Keeper, beside
from .nofile import make_room
from .on_request import Renderer
from .origin import Origin
from .protocol import Server
from .reload import certificates_for, refused, reload_origin
from .workers import Ports, supervise

log = logging.getLogger("snapfront")

MAX_REQUEST_LINE = 65536
"""Large enough that our own 414 for over-long paths answers before aiohttp's parser does."""
SHUTDOWN_TIMEOUT = 30.0
FOLD_SECONDS = 1.0
"""How often a worker adds its plain-Python request counts to the shared metrics."""
BACKLOG = 1024


def serve(
    config: Config,
    announce: Callable[[str], None] = print,
    companion: Companion | None = None,
    render: Renderer | None = None,
    certificate: tls.Certificate | None = None,
) -> int:
    """Serve until SIGTERM or SIGINT with `workers` processes; returns the exit status.

    A `companion` is forked first, before any socket or thread exists, and serving starts once
    it is ready: one process however many workers there are, and none of its work (rendering
    pages) ever runs on, or holds the GIL of, a process that answers requests. The metrics'
    multiprocess directory exists before either forks, and goes when serving ends.
    `render` writes a missing page that may be rendered on request (server.on_request).
    `certificate` (server.tls.load) serves `config.tls`, the HTTPS listener, in every worker."""
    from snapfront.metrics.process import multiprocess_dir

    short = make_room(config.max_connections, config.worker_count())
    if short:
        print(short, file=sys.stderr, flush=True)
    addresses = _addresses(config, certificate)
    listening = _announcer(addresses, announce)
    with multiprocess_dir(), beside(companion) as keeper:
        if config.worker_count() > 1:
            return _supervised(config, addresses, listening, keeper, render, certificate)
        serving = _serve(
            config, tuple(port for _, port in addresses), listening,
            on_hup=functools.partial(_hup, keeper), watching=keeper is not None,
            on_stop=functools.partial(_stopping, keeper), render=render, keeper=keeper,
            certificate=certificate,
        )  # fmt: skip
        return _run(serving)


def _addresses(config: Config, certificate: tls.Certificate | None) -> list[tuple[str, int]]:
    """HTTP's address, then HTTPS's when it is configured and its certificate loaded."""
    addresses = [(config.host, config.port)]
    if config.tls is not None and certificate is not None:
        addresses.append((config.tls.host, config.tls.port))
    return addresses


def _announcer(
    addresses: list[tuple[str, int]], announce: Callable[[str], None]
) -> Callable[[Ports], None]:
    """What the main process (single worker or supervisor) does once every port accepts."""

    def listening(ports: Ports) -> None:
        for (host, _), port, scheme in zip(addresses, ports, ("http", "https"), strict=False):
            shown = f"[{host}]" if ":" in host else host
            announce(f"listening on {scheme}://{shown}:{port}/")
        sd_notify.notify("READY=1")

    return listening


def _stopping(keeper: Keeper | None) -> None:
    """SIGTERM or SIGINT: the keeper's end is no death to report; systemd hears we stop."""
    if keeper is not None:
        keeper.closing = True
    sd_notify.notify("STOPPING=1")


def _hup(keeper: Keeper | None) -> None:
    """SIGHUP reaches the companion through serve, once per signal."""
    if keeper is not None:
        keeper.signal(signal.SIGHUP)


def _supervised(
    config: Config,
    addresses: list[tuple[str, int]],
    listening: Callable[[Ports], None],
    keeper: Keeper | None,
    render: Renderer | None,
    certificate: tls.Certificate | None,
) -> int:
    """Several workers on the same ports under server.workers' supervisor, which checks a
    SIGHUP's config once for all of them and looks after the keeper."""
    from snapfront.metrics.process import mark_dead

    supervisor = os.getpid()

    def worker(ports: Ports, ready: Callable[[], None]) -> int:
        serving = _serve(
            config, ports, lambda _: ready(), reuse_port=True, watching=keeper is not None,
            supervisor=supervisor, render=render, certificate=certificate,
        )  # fmt: skip
        return _run(serving)

    def reload() -> bool:
        """The new config checked once, for every worker and the watcher (a refusal is one
        line, not one per process); if it loads, all re-read it."""
        if refused(config):
            return False
        _hup(keeper)
        return True

    return supervise(
        addresses, config.worker_count(), worker, listening, on_exit=mark_dead,
        stopping=functools.partial(_stopping, keeper), reload=reload, **_keeping(keeper),
    )  # fmt: skip


def _keeping(keeper: Keeper | None) -> dict[str, Any]:
    """supervise()'s hooks that look after the watcher's keeper (none without one)."""
    return {} if keeper is None else {"tick": keeper.poll, "reaped": keeper.reaped}


LOOP_ENV = "SNAPFRONT_LOOP"


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop where it is importable (a small answer costs about a tenth less CPU on it:
    bench/RESULTS-hot-profile.md), else asyncio's own (None); SNAPFRONT_LOOP=asyncio or
    =uvloop chooses (README: Serving at speed)."""
    choice = os.environ.get(LOOP_ENV, "")
    if choice == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        if choice == "uvloop":
            raise
        return None
    return uvloop.new_event_loop


def _run(main: Coroutine[Any, Any, int]) -> int:
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)


async def _serve(
    config: Config,
    ports: Ports,
    ready: Callable[[Ports], None],
    reuse_port: bool = False,
    on_hup: Callable[[], None] = lambda: None,
    watching: bool = False,
    supervisor: int | None = None,
    on_stop: Callable[[], None] = lambda: None,
    render: Renderer | None = None,
    keeper: Keeper | None = None,
    certificate: tls.Certificate | None = None,
) -> int:
    origin = Origin(config, render)
    tally = _tally()
    endpoints = Endpoints(
        origin, watching, supervisor, metered=tally is not None,
        before_scrape=lambda: _fold(tally, server),
    )  # fmt: skip
    hot = Hot(origin) if hot_enabled() else None
    handler = with_error_pages(make_handler(origin, endpoints.answer), origin)
    server = Server(
        hot.learning(handler) if hot is not None else handler,
        hot=hot,
        error_cache_control=origin.cache_control(CacheClass.ERROR),
        limits=lambda: Limits.of(origin.config),  # SIGHUP applies to new connections
        access_log=logging.getLogger("snapfront.access"),
        access_log_class=access_log.AccessLogger,
        max_line_size=MAX_REQUEST_LINE,
    )
    runner = web.ServerRunner(server, handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT)
    await runner.setup()
    certificates = certificates_for(config, certificate)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()  # handlers first: once ready, a SIGHUP must not find the default
    loop.add_signal_handler(signal.SIGTERM, lambda: (on_stop(), stop.set()))
    loop.add_signal_handler(signal.SIGINT, lambda: (on_stop(), stop.set()))
    loop.add_signal_handler(signal.SIGHUP, lambda: reload_origin(origin, certificates) and on_hup())
    ready(await _listen(runner, config, ports, reuse_port or None, certificates))
    if tally is not None:
        _every(loop, FOLD_SECONDS, lambda: _fold(tally, server))
    if keeper is not None:  # the one serving process watches the keeper
        _every(loop, TICK, keeper.poll)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        access_log.flush()
        _fold(tally, server)
    return 0


async def _listen(
    runner: web.ServerRunner,
    config: Config,
    ports: Ports,
    reuse_port: bool | None,
    certificates: Certificates | None,
) -> Ports:
    """Start the HTTP listener and, with `certificates`, the HTTPS one; the ports bound."""
    site = web.TCPSite(runner, config.host, ports[0], backlog=BACKLOG, reuse_port=reuse_port)
    await site.start()
    bound = [runner.addresses[0][1]]
    if certificates is not None and config.tls is not None:
        https = HttpsSite(
            runner, config.tls.host, ports[1], certificates, config.header_timeout,
            reuse_port, BACKLOG,
        )  # fmt: skip
        await https.start()
        bound.append(https.port)
    return tuple(bound)


def _tally() -> Any:
    """Per-request counting into the metrics when `serve` prepared them; else None."""
    from snapfront.metrics.process import ENV

    if not os.environ.get(ENV):
        return None
    from snapfront.metrics.tally import Tally

    tally = Tally()
    access_log.observe(tally.count)
    return tally


def _every(loop: asyncio.AbstractEventLoop, seconds: float, job: Callable[[], None]) -> None:
    """Run `job` every `seconds` on `loop`, the first time `seconds` from now."""

    def again() -> None:
        job()
        loop.call_later(seconds, again)

    loop.call_later(seconds, again)


def _fold(tally: Any, server: Server) -> None:
    if tally is not None:
        tally.fold(server.budget, server.hot.answered if server.hot is not None else 0)
