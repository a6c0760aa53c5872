"""A file's bytes straight from the page cache to a plain TCP socket, the way nginx sends them.

os.sendfile on the socket in non-blocking mode takes as much as the kernel accepts per call;
only when the socket is full (a short send or EAGAIN) does the body wait for it to become
writable again. loop.sendfile, used before, sent one socket buffer per call and waited for
every one; it also exists on the stdlib loop only (uvloop has none).

The socket belongs to its transport, and asyncio refuses add_writer on a transport's fd: the
body waits on a dup() of it instead, the same socket under another number, registered only
while it waits. The dup also keeps the socket alive while a call is in flight, so a
transport closed meanwhile (its fd number free for a new connection) cannot receive our bytes;
and since the socket closes only with its last fd, the dup is closed before the response ends.

`send_timeout` is nginx's rule: a response that makes no progress for that long is reset
(deadlines.close); every call that moves bytes starts a new period.
"""

from __future__ import annotations

import asyncio
import errno
import os
from collections.abc import Callable
from types import TracebackType

from .deadlines import close

MAX_CALL = 2 * 1024 * 1024
"""Bytes asked of one call: bounded, so that a client reading as fast as the kernel writes
(loopback) lets the loop serve the other connections between calls."""
RECHECK = 1.0
"""Seconds between looks at the transport while waiting: closed by someone else (a worker
shutting down), the body stops rather than wait out send_timeout."""
UNSUPPORTED = (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSOCK)
"""The file or socket cannot sendfile (a filesystem without it): the caller sends by copy."""


class Unsupported(Exception):
    """Nothing was sent: this file cannot go through sendfile."""


class Zerocopy:
    """One response's zero-copy sender on `transport`'s socket, a context: `with` holds the dup.

    While the body waits at least once, the dup stays registered for writability (one
    registration per response, not one per wait) and one timer per response, moved by
    nothing, looks at the deadline and the transport every RECHECK seconds or at the deadline.
    """

    def __init__(self, transport: asyncio.Transport, timeout: float | None) -> None:
        self._transport = transport
        self._timeout = timeout
        self._loop = asyncio.get_running_loop()
        self._fd = -1
        self._due: float | None = None  # loop time the current period ends; None: no limit
        self._ready: asyncio.Future[bool] | None = None  # set when the body waits
        self._timer: asyncio.TimerHandle | None = None

    def __enter__(self) -> Zerocopy:
        sock = self._transport.get_extra_info("socket")
        if sock is None or self._transport.is_closing():
            raise ConnectionResetError("client went away")
        self._fd = os.dup(sock.fileno())
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._unwatch()
        os.close(self._fd)
        self._fd = -1

    async def send(self, fd: int, offset: int, count: int, sent: Callable[[int], None]) -> int:
        """Send `count` bytes of `fd` from `offset`, calling `sent(n)` as they leave; returns
        how many went (short only if the file shrank: the connection is then closed).
        Raises Unsupported before a byte went, ConnectionError when the client is gone."""
        await self._drained()
        self._progress()
        done = 0
        while done < count:
            want = min(count - done, MAX_CALL)
            try:
                n = os.sendfile(self._fd, fd, offset + done, want)
            except BlockingIOError:
                n = -1
            except OSError as e:
                if e.errno in UNSUPPORTED and not done:
                    self._unwatch()  # the copy that follows must not be woken for nothing
                    raise Unsupported from e
                raise ConnectionResetError(e.errno, os.strerror(e.errno)) from e
            if n == 0:
                self._transport.close()  # the file shrank: a short body must not look complete
                return done
            if n > 0:
                sent(n)
                done += n
                self._progress()
            if done < count:
                await (self._writable() if n < want else asyncio.sleep(0))
                self._check_open()
        return done

    async def _drained(self) -> None:
        """Bytes the transport still holds (the head, a multipart boundary) go out first."""
        self._progress()
        while self._transport.get_write_buffer_size():
            await self._writable()
            await asyncio.sleep(0)  # the transport's own write callback runs first
            self._check_open()

    def _progress(self) -> None:
        """Bytes left: a new period of send_timeout starts."""
        if self._timeout is not None:
            self._due = self._loop.time() + self._timeout

    async def _writable(self) -> None:
        """Until the socket takes bytes again; reset when the period ends first."""
        loop = self._loop
        if self._timer is None:
            loop.add_writer(self._fd, self._settle, True)
            self._timer = loop.call_at(self._next_look(), self._look)
        if self._due is None or loop.time() < self._due:
            self._ready = loop.create_future()
            try:
                if await self._ready:
                    return
            finally:
                self._ready = None
        self._check_open()
        close(self._transport, reset=True)
        raise ConnectionResetError("send timed out")

    def _next_look(self) -> float:
        now = self._loop.time()
        due = self._due
        return now + RECHECK if due is None or due <= now else min(now + RECHECK, due)

    def _look(self) -> None:
        """The timer: a waiting body past its period, or whose transport closed, gives up."""
        if self._ready is not None:
            now = self._loop.time()
            if self._transport.is_closing() or (self._due is not None and now >= self._due):
                self._settle(False)
        self._timer = self._loop.call_at(self._next_look(), self._look)

    def _settle(self, writable: bool) -> None:
        if self._ready is not None and not self._ready.done():
            self._ready.set_result(writable)

    def _unwatch(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
            self._loop.remove_writer(self._fd)

    def _check_open(self) -> None:
        if self._transport.is_closing():
            raise ConnectionResetError("connection closed")
