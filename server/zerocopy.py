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
    """One response's zero-copy sender on `transport`'s socket, a context: `with` holds the dup."""

    def __init__(self, transport: asyncio.Transport, timeout: float | None) -> None:
        self._transport = transport
        self._timeout = timeout
        self._loop = asyncio.get_running_loop()
        self._fd = -1

    def __enter__(self) -> Zerocopy:
        sock = self._transport.get_extra_info("socket")
        if sock is None or self._transport.is_closing():
            raise ConnectionResetError("client went away")
        self._fd = os.dup(sock.fileno())
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        os.close(self._fd)
        self._fd = -1

    async def send(self, fd: int, offset: int, count: int, sent: Callable[[int], None]) -> int:
        """Send `count` bytes of `fd` from `offset`, calling `sent(n)` as they leave; returns
        how many went (short only if the file shrank: the connection is then closed).
        Raises Unsupported before a byte went, ConnectionError when the client is gone."""
        await self._drained()
        deadline = self._deadline()
        done = 0
        while done < count:
            want = min(count - done, MAX_CALL)
            try:
                n = os.sendfile(self._fd, fd, offset + done, want)
            except BlockingIOError:
                n = -1
            except OSError as e:
                if e.errno in UNSUPPORTED and not done:
                    raise Unsupported from e
                raise ConnectionResetError(e.errno, os.strerror(e.errno)) from e
            if n == 0:
                self._transport.close()  # the file shrank: a short body must not look complete
                return done
            if n > 0:
                sent(n)
                done += n
                deadline = self._deadline()
            if done < count:
                await (self._writable(deadline) if n < want else asyncio.sleep(0))
                self._check_open()
        return done

    async def _drained(self) -> None:
        """Bytes the transport still holds (the head, a multipart boundary) go out first."""
        deadline = self._deadline()
        while self._transport.get_write_buffer_size():
            await self._writable(deadline)
            await asyncio.sleep(0)  # the transport's own write callback runs first
            self._check_open()

    def _deadline(self) -> float | None:
        return None if self._timeout is None else self._loop.time() + self._timeout

    async def _writable(self, deadline: float | None) -> None:
        """Until the socket takes bytes again, or reset when `deadline` passes first."""
        loop = self._loop
        while True:
            now = loop.time()
            if deadline is not None and now >= deadline:
                close(self._transport, reset=True)
                raise ConnectionResetError("send timed out")
            wake = now + RECHECK if deadline is None else min(now + RECHECK, deadline)
            ready: asyncio.Future[bool] = loop.create_future()
            loop.add_writer(self._fd, _settle, ready, True)
            timer = loop.call_at(wake, _settle, ready, False)
            try:
                if await ready:
                    return
            finally:
                timer.cancel()
                loop.remove_writer(self._fd)
            self._check_open()

    def _check_open(self) -> None:
        if self._transport.is_closing():
            raise ConnectionResetError("connection closed")


def _settle(ready: asyncio.Future[bool], writable: bool) -> None:
    if not ready.done():
        ready.set_result(writable)
