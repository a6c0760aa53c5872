"""The hot path's side of a connection (server.hot answers; this feeds it and keeps the
connection's books): mixed into protocol._Handler, whose state it reads and moves.

It hands server.hot a chunk only while aiohttp is idle: waiting for a request (or done
sending every answer it started), none queued, its parser holding no half-read one (`_clean`:
what it was fed ended with whole bodiless heads). Answered requests move the deadlines, the
budget and aiohttp's idle timer exactly as an aiohttp answer does (protocol._Handler's
request_started and log_access); a `Connection: close` closes as aiohttp does, after its
answer has left.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from aiohttp.web_protocol import RequestHandler, _ErrInfo

from . import access_log
from .hot_heads import WRITE_LIMIT, clean_end

if TYPE_CHECKING:
    from .deadlines import Deadlines
    from .hot import Hot, Served


class HotWire:
    _hot: Hot | None
    _deadlines: Deadlines | None
    _transport: asyncio.Transport | None
    _owner: Any
    _pending: list[bytes] = []  # noqa: RUF012 (replaced, never changed in place)
    """The start of a head the hot path waits to see whole, in the pieces it came in."""
    _clean = True
    """aiohttp's parser holds no partial request."""
    _answering = False
    """aiohttp started a request and has not yet finished sending its answer (protocol.py:
    request_started, log_access)."""
    _remote = ""
    _log_start = b""

    def _hot_start(self, transport: asyncio.BaseTransport) -> None:
        peer = transport.get_extra_info("peername")
        self._remote = str(peer[0]) if isinstance(peer, (list, tuple)) and peer else ""
        self._log_start = access_log.line_start(self._remote)

    def _replay(self: Any, data: bytes) -> bool:
        """Answer a read that is exactly a head answered before (Hot.replay), with the same
        books as `_serve_hot` and `_answered` keep, in fewer steps; False: not one."""
        if self._pending or self._line or not self._idle():
            return False
        started = time.monotonic()
        hot = self._hot
        entry = hot.replay(data)
        if entry is None:
            return False
        answer = entry.answer
        self._transport.write(answer.head + hot.date() + answer.tail)
        access_log.replayed(
            self._log_start, entry.middle, time.monotonic() - started, answer.meter,
            answer.status, answer.sent,
        )  # fmt: skip
        now = self._loop.time()
        self._deadlines.replayed(now)
        self._waiting_again(now)
        return True

    def _idle(self: Any) -> bool:
        """aiohttp waits for a request, or has sent all its answers, has none queued and its
        parser none half-read: bytes answered now leave after everything it sent (private
        state: see the docstring). Without waiting for its task to come back to its waiter:
        a client that asks again as soon as an answer arrives (APT, wrk) is quicker than that
        task on a busy worker, and would keep the connection on the full path; and uvloop
        delivers a connection's first read before the task first waits."""
        waiter = self._waiter
        return (
            self._clean and (not self._answering if waiter is None else not waiter.done())
            and not self._messages and not _upgraded(self) and self._payload_parser is None
            and not self._close and not self._force_close
        )  # fmt: skip

    def _feed(self, data: bytes) -> None:
        """Hand `data` to aiohttp's parser while it is busy: still clean only while each
        read is whole bodiless heads (once not, this connection stays on the full path)."""
        if self._clean:
            self._clean = clean_end(data)
        RequestHandler.data_received(self, data)  # type: ignore[arg-type]

    def _serve_hot(self: Any, data: bytes) -> None:
        """Answer what the hot path can (server.hot) and hand aiohttp the rest, in the pieces
        it arrived in (aiohttp's 400 texts quote the piece its parser failed in)."""
        assert self._hot is not None and self._deadlines is not None
        chunks = [*self._pending, data]
        self._pending = []
        buf = b"".join(chunks) if len(chunks) > 1 else data
        out, served = self._hot.serve(buf, self._remote, self._room)
        rest = _after(chunks, served.used)
        if served.incomplete:
            self._pending, rest = rest, []
        if rest:
            self._clean = clean_end(b"".join(rest))
            queued = len(self._messages)
            for piece in rest:
                RequestHandler.data_received(self, piece)
            if any(isinstance(m, _ErrInfo) for m, _ in list(self._messages)[queued:]):
                return  # its parser threw away the whole read, so the full path answers
                # none of the requests before the malformed one: neither does this
        if out and self._transport is not None:
            self._answered(out, served)

    def _answered(self: Any, out: list[bytes], served: Served) -> None:
        if len(out) == 1:
            self._transport.write(out[0])  # writelines would copy it into a list and join
        else:
            self._transport.writelines(out)
        self._hot.sent(served, self._remote)
        self._deadlines.request_started()
        self._deadlines.response_done(served.keep_alive)
        if not served.keep_alive:
            self.force_close()  # as aiohttp after `Connection: close`: the rest unread
            return
        self._waiting_again()

    def _waiting_again(self: Any, now: float | None = None) -> None:
        """Kept alive after an answer: the budget and aiohttp's idle timer, as aiohttp does."""
        self._owner.budget.waiting(self)
        if self._keepalive_timeout > 0:  # aiohttp's own idle timer, as after its answers
            now = self._loop.time() if now is None else now
            self._next_keepalive_close_time = now + self._keepalive_timeout

    def _room(self) -> bool:
        transport = self._transport
        return transport is not None and transport.get_write_buffer_size() < WRITE_LIMIT


def _after(chunks: list[bytes], used: int) -> list[bytes]:
    """`chunks` without their first `used` bytes, the pieces otherwise as they were."""
    for index, chunk in enumerate(chunks):
        if used < len(chunk):
            return [chunk[used:], *chunks[index + 1 :]] if used else chunks[index:]
        used -= len(chunk)
    return []


UPGRADED = "_upgraded" if hasattr(RequestHandler, "_upgraded") else "_upgrade"
"""Where aiohttp's handler says its parser stopped at an Upgrade: `_upgraded` since aiohttp
3.12, `_upgrade` before (Debian 13 ships 3.11); both are slots of the class."""


def _upgraded(handler: Any) -> bool:
    return bool(getattr(handler, UPGRADED, False))
