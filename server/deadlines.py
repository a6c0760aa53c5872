"""How long one connection may take at each step, modelled on nginx (README: HTTP behaviour).

A connection is always in one phase, and each phase has its own deadline:

- head: from accept, or from the end of the previous response while bytes of the next request
  are already buffered, or from the first byte of a later request: `header_timeout`;
- idle: kept alive after a response, nothing received yet: `keepalive_timeout`;
- busy: a request is being answered; no read deadline, but a write that stays paused (the
  client stopped reading) may last `send_timeout` (sendfile bodies: see send.py).

Without these, 500 half-sent requests or 200 clients reading at 1 KB/s each hold a
connection (an fd, and for a download an open file) for as long as they like.

The read deadline is one timer per connection, kept rather than cancelled and re-created with
every request (that was a tenth of a small file's cost under wrk): each request moves the
deadline later, and the timer, when it fires, sleeps again until the deadline now set. Only
a deadline earlier than the timer (a head arriving in pieces) replaces it.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass

from snapfront.base.config import MAX_CONNECTIONS, Config

SLEEP_AGAIN = 0.001
"""A timer firing within this of the deadline counts as on time (asyncio runs timers up to
its clock resolution early)."""
_RESET = struct.pack("ii", 1, 0)
"""SO_LINGER on, 0 s: close() sends RST and drops what the kernel still holds for the peer."""


@dataclass(frozen=True)
class Limits:
    """The `[server]` connection keys (README: Config), seconds and a count per worker."""

    header_timeout: float = 60.0
    keepalive_timeout: float = 75.0
    send_timeout: float = 60.0
    max_connections: int = MAX_CONNECTIONS

    @classmethod
    def of(cls, config: Config) -> Limits:
        return cls(
            config.header_timeout,
            config.keepalive_timeout,
            config.send_timeout,
            config.max_connections,
        )


class Phase(enum.Enum):
    HEAD = "head"
    IDLE = "idle"
    BUSY = "busy"


HEAD_END = (b"\n\r\n", b"\n\n")
"""A chunk ending so leaves no partial request behind in the parser (GET and HEAD carry no body)."""


class Deadlines:
    """One connection's read and send deadlines; `expire(reason)` is called when one passes."""

    def __init__(
        self, limits: Limits, loop: asyncio.AbstractEventLoop, expire: Callable[[str], None]
    ) -> None:
        self.limits = limits
        self._loop = loop
        self._expire = expire
        self.phase = Phase.HEAD
        self.at_boundary = True
        """No byte of the next request has arrived yet: the next chunk starts a request line."""
        self._partial = False
        self._read: asyncio.TimerHandle | None = None
        self._due: float | None = None  # loop time the read deadline passes; None: none
        self._reason = ""
        self._send: asyncio.TimerHandle | None = None
        self._arm_read(limits.header_timeout, "header")

    def received(self, data: bytes) -> None:
        """Bytes arrived: an idle connection starts reading a head, with a fresh deadline."""
        if data:
            self._partial = not data.endswith(HEAD_END)
            self.at_boundary = False
            if self.phase is Phase.IDLE:
                self.phase = Phase.HEAD
                if self._partial:  # a whole head starts its request at once: no timer for it
                    self._arm_read(self.limits.header_timeout, "header")

    def request_started(self) -> None:
        self.phase = Phase.BUSY
        self._cancel_read()

    def response_done(self, keep_alive: bool) -> None:
        """Kept alive: wait for the next head (part of it may be buffered already) or idle.
        Closing: the rest of the response may take `send_timeout` to leave."""
        if not keep_alive:
            self.phase = Phase.BUSY
            self._arm_read(self.limits.send_timeout, "send")
        elif self._partial:
            self.phase = Phase.HEAD
            self._arm_read(self.limits.header_timeout, "header")
        else:
            self.phase = Phase.IDLE
            self.at_boundary = True
            self._arm_read(self.limits.keepalive_timeout, "keepalive")

    def replayed(self, now: float) -> None:
        """A read that was one whole head, answered at once (server.hot_wire): where
        `received`, `request_started` and `response_done(True)` would leave it, in one step;
        `now`: the loop's time, read once for this and aiohttp's idle timer."""
        self._partial = False
        self.phase = Phase.IDLE
        self.at_boundary = True
        self._arm_read(self.limits.keepalive_timeout, "keepalive", now)

    def write_paused(self) -> None:
        if self._send is None:
            self._send = self._loop.call_later(self.limits.send_timeout, self._fire_send)

    def write_resumed(self) -> None:
        if self._send is not None:
            self._send.cancel()
            self._send = None

    def stop(self) -> None:
        self._due = None
        if self._read is not None:
            self._read.cancel()
            self._read = None
        self.write_resumed()

    def _arm_read(self, seconds: float, reason: str, now: float | None = None) -> None:
        due = (self._loop.time() if now is None else now) + seconds
        self._due, self._reason = due, reason
        if self._read is not None:
            if self._read.when() <= due:
                return  # it fires first, and then waits for `due`
            self._read.cancel()
        self._read = self._loop.call_at(due, self._fire_read)

    def _cancel_read(self) -> None:
        self._due = None  # the timer stays: when it fires it finds nothing due

    def _fire_read(self) -> None:
        self._read = None
        if self._due is None:
            return
        if self._loop.time() + SLEEP_AGAIN < self._due:  # moved since: sleep until then
            self._read = self._loop.call_at(self._due, self._fire_read)
            return
        self._due = None
        self._expire(self._reason)

    def _fire_send(self) -> None:
        self._send = None
        self._expire("send")


def close(transport: asyncio.BaseTransport | None, reset: bool) -> None:
    """Close now. With `reset`, or bytes still unsent, send RST: asyncio's close() would wait
    for a client that stopped reading to drain the buffer, and the kernel would keep its own."""
    if transport is None:
        return
    if not reset and not transport.get_write_buffer_size():  # type: ignore[attr-defined]
        transport.close()
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):  # already gone
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RESET)
    transport.abort()  # type: ignore[attr-defined]
