"""aiohttp's server, made fit for the open internet (issue 9; README: HTTP behaviour).

- Every connection has deadlines (deadlines.py), and each worker at most `max_connections`:
  when they run low, the connections waiting longest for a request head are closed to make
  room (budget.py); only when every one is being answered is one more told `503` with
  `Retry-After` and closed, while the others are still served.
- A malformed request is its 4xx access-log line and a client going away its access-log line;
  only a failure of ours (a 500) is logged with a traceback. The 4xx aiohttp's own parser
  answers carry the error class's Cache-Control, like ours (docs/urls.md: cache classes).
- Every answer says `Server: snapfront`, without versions (hosts on the open internet hide
  them; /-/status.json has snapfront's): set as each response is prepared, so aiohttp's own
  400s, streamed bodies, 304s and redirects alike, and in the 503 refusal's bytes.
- HTTP/0.9 (a request line without a version) is answered `HTTP/1.1 400`, never with an
  `HTTP/0.9` status line. A request carrying `Upgrade` (h2c) is answered and the connection
  then closed: aiohttp stops parsing what is pipelined behind it, which would hang forever.

Not all of this is aiohttp's public API, so pyproject.toml and debian/control hold aiohttp below
4 (tested with 3.10, 3.11 as Debian trixie has it, and 3.14). What is private:
- `_Handler` subclasses `aiohttp.web_protocol.RequestHandler`, which aiohttp exports but does
  not document for subclassing: it wraps the asyncio Protocol hooks (connection_made,
  connection_lost, data_received, pause_writing, resume_writing) around aiohttp's own, and
  overrides aiohttp's undocumented `log_access` (called once a response has been sent; aiohttp
  4 changes it), `handle_error` and `log_exception`, and calls `force_close`.
- `Server` subclasses `web.Server`, passes its undocumented `request_factory` argument,
  replaces `__call__` (which makes each connection's protocol) and reads its private `_loop`
  and `_kwargs`.
- `Server._request` builds `web.BaseRequest` itself, as aiohttp's own factory does, from the
  parser's `RawRequestMessage` (version, upgrade, should_close: a NamedTuple it `_replace`s).
- `_Request` overrides the private `BaseRequest._prepare_hook`, where aiohttp's Application
  runs on_response_prepare: called for every response prepared, since aiohttp 3.0.
- The hot path (server.hot) reads `_Handler`'s private state to know aiohttp is idle
  (`_waiter` pending, or none while every request its factory built has reached `log_access`
  (called after `write_eof`), `_messages` empty, not `_upgraded` (`_upgrade` before aiohttp 3.12),
  no `_payload_parser`, neither `_close` nor `_force_close`), moves aiohttp's own idle timer
  (`_keepalive_timeout`, `_next_keepalive_close_time`) as aiohttp does after an answer,
  looks for the `_ErrInfo` its parser queues for a malformed read (which drops the requests
  before it in that read, so those are not answered from the hot path either), and keeps
  answers serialized by `aiohttp.http_writer._serialize_headers` with
  `aiohttp.helpers.rfc822_formatted_time`'s Date.
tests/test_server_header.py, tests/test_connections.py and tests/test_hot_differential.py
notice if any of that changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import hdrs, web
from aiohttp.http import HttpVersion10, HttpVersion11
from aiohttp.web_protocol import RequestHandler

from .budget import Budget, Report
from .deadlines import Deadlines, Limits, close
from .hot_wire import HotWire
from .send import error_response

if TYPE_CHECKING:
    from .hot import Hot

_HTTP09 = "snapfront.http09"
_HTTP09_LINE = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+ +[^ \r\n]+\r?\n\Z")
"""`GET /x` and nothing more: llhttp would wait for headers that an HTTP/0.9 client never sends."""
LINE_LIMIT = 8192

SERVER = "snapfront"
"""The Server header of every answer: no versions."""
REFUSAL_BODY = b"too many connections; retry shortly\n"
REFUSAL = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"Server: %s\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: %d\r\n"
    b"Cache-Control: no-store\r\n"
    b"Retry-After: 1\r\n"
    b"Connection: close\r\n\r\n%s" % (SERVER.encode(), len(REFUSAL_BODY), REFUSAL_BODY)
)
REFUSAL_LINGER = 2.0
"""Seconds a refused connection reads (and drops) the client's request before it is reset:
closing with unread input would send RST at once, and RST can destroy the 503 in flight."""

Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]


class _Request(web.BaseRequest):
    """A request whose every response names the server as SERVER, whoever built it."""

    async def _prepare_hook(self, response: web.StreamResponse) -> None:
        response.headers[hdrs.SERVER] = SERVER  # after aiohttp's own setdefault


class _Handler(HotWire, RequestHandler):
    error_cache_control = "no-store"

    def __init__(self, manager: Server, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._owner = manager
        self._deadlines: Deadlines | None = None
        self._transport: asyncio.Transport | None = None
        self._line = b""  # the start of a request line that may turn out to be HTTP/0.9
        self._refused = False
        self._quiet = False
        self._hot = manager.hot

    @property
    def send_timeout(self) -> float | None:
        """What send.py allows each sendfile chunk (one socket buffer) to take."""
        return self._deadlines.limits.send_timeout if self._deadlines else None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        owner = self._owner
        limits = owner.limits()
        if not owner.budget.admit(self, limits.max_connections):
            self._refuse(transport)  # type: ignore[arg-type]
            return
        self._transport = transport  # type: ignore[assignment]
        self._deadlines = Deadlines(limits, asyncio.get_running_loop(), self._expire)
        self._hot_start(transport)
        super().connection_made(transport)

    def connection_lost(self, exc: BaseException | None) -> None:
        if self._refused:
            return
        if self._deadlines is not None:
            self._deadlines.stop()
            self._deadlines = None
            self._owner.budget.closed(self)
        super().connection_lost(exc)

    def evict(self) -> None:
        """Closed to make room for a new connection (budget.py), which counted it out."""
        if self._deadlines is not None:
            self._deadlines.stop()
            self._deadlines = None
        close(self._transport, reset=False)
        self.force_close()

    def data_received(self, data: bytes) -> None:
        deadlines = self._deadlines
        if deadlines is None:
            return  # refused, or already lost: what arrives is dropped
        if self._hot is not None and self._replay(data):
            return
        if deadlines.at_boundary or self._line:
            data = self._complete_http09(data)
        deadlines.received(data)
        if self._hot is not None and (self._pending or self._idle()):
            self._serve_hot(data)
        else:
            self._feed(data)

    def pause_writing(self) -> None:
        super().pause_writing()
        if self._deadlines is not None:
            self._deadlines.write_paused()

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._deadlines is not None:
            self._deadlines.write_resumed()

    def request_started(self) -> None:
        self._answering = True
        if self._deadlines is not None:
            self._deadlines.request_started()
            self._owner.budget.serving(self)

    def log_access(self, request: web.BaseRequest, response: web.StreamResponse, time: Any) -> None:
        super().log_access(request, response, time)
        if self._hot is not None:
            self._hot.learn(request, response)
        if self._deadlines is not None:
            keep_alive = bool(response.keep_alive)
            self._deadlines.response_done(keep_alive)
            if keep_alive:  # else the rest of the response leaves, then it closes
                # Handed over (a sendfile body to the kernel, others at most a socket buffer
                # short): the youngest waiting connection, the last closed for room.
                self._owner.budget.waiting(self)
        self._answering = False  # all of its answer is in the transport (or the kernel's)

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        """aiohttp's answer to a request it could not parse, or to a handler that raised.

        Its traceback is kept for real failures only: a malformed request (a 4xx) is
        answered and logged like any other, and a client that went away is no error of ours."""
        self._quiet = status < 500 or isinstance(exc, ConnectionError)
        try:
            resp = super().handle_error(request, status, exc, message)
        finally:
            self._quiet = False
        if 400 <= resp.status < 500:
            resp.headers["Cache-Control"] = self.error_cache_control
        return resp

    def log_exception(self, *args: Any, **kw: Any) -> None:
        if not self._quiet:
            super().log_exception(*args, **kw)

    def _expire(self, reason: str) -> None:
        """A deadline passed: close (with RST when the client stopped reading)."""
        close(self._transport, reset=reason == "send")
        self.force_close()

    def _refuse(self, transport: asyncio.Transport) -> None:
        self._refused = True
        transport.write(REFUSAL)
        with contextlib.suppress(OSError):  # the client may be gone already
            transport.write_eof()
        asyncio.get_running_loop().call_later(REFUSAL_LINGER, close, transport, True)

    def _complete_http09(self, data: bytes) -> bytes:
        """Add the empty line that ends an HTTP/0.9 request (it has no headers), so the parser
        delivers it now and it is answered 400, rather than waiting for the header timeout."""
        line = self._line + data
        end = line.find(b"\n")
        if end < 0:
            self._line = line if len(line) < LINE_LIMIT else b""
            return data
        self._line = b""
        if end != len(line) - 1:
            return data  # more after its first line: not HTTP/0.9 (the regex's \Z), nor waiting
        return data + b"\r\n" if _HTTP09_LINE.match(line) else data


class Server(web.Server):
    """web.Server whose connections are _Handlers, with deadlines and a connection budget."""

    def __init__(
        self,
        handler: Handler,
        *,
        error_cache_control: str = "no-store",
        limits: Callable[[], Limits] = Limits,
        hot: Hot | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            _refuse_http09(handler, error_cache_control), request_factory=self._request, **kwargs
        )
        self._error_cache_control = error_cache_control
        self.limits = limits
        self.budget = Budget()
        self.hot = hot
        self._report = Report(self.budget, self._loop.call_later)

    def __call__(self) -> RequestHandler:
        handler = _Handler(self, loop=self._loop, **self._kwargs)
        handler.error_cache_control = self._error_cache_control
        return handler

    def _request(
        self,
        message: Any,
        payload: Any,
        protocol: RequestHandler,
        writer: Any,
        task: asyncio.Task[None],
    ) -> web.BaseRequest:
        """Every request, parsed or not, passes here first: its head is complete."""
        if isinstance(protocol, _Handler):
            protocol.request_started()
        http09 = message.version < HttpVersion10
        if http09 or message.upgrade or hdrs.UPGRADE in message.headers:
            version = HttpVersion11 if http09 else message.version
            message = message._replace(version=version, should_close=True)
        request = _Request(message, payload, protocol, writer, task, self._loop)
        if http09:
            request[_HTTP09] = True
        return request


def _refuse_http09(handler: Handler, error_cache_control: str) -> Handler:
    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        if request.get(_HTTP09):
            return error_response(400, "HTTP/0.9 is not supported", None, error_cache_control)
        return await handler(request)

    return handle
