"""One access-log line per request on stderr, in the combined format log tools already parse.

Written in batches (at most BATCH_DELAY seconds late, at most PIPE_BUF bytes per write, always
whole lines) rather than through `logging`: a line per request through the logging module
halves the small-file request rate. Whole-line writes of at most PIPE_BUF bytes keep the lines
of several workers sharing one stderr from interleaving. aiohttp's own `%b` would also count
only bytes written through its buffer, so sendfile bodies would be logged as a few hundred
bytes; this logs the body length actually sent (for a download cut short, what left before).
"""

from __future__ import annotations

import asyncio
import os
import select
import time
from collections.abc import Callable

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from .app import METER, NO_MOUNT
from .send import Streamed

BATCH_DELAY = 0.2
WRITE_LIMIT = select.PIPE_BUF

OnResponse = Callable[[tuple[str, str], int, int, float], None]
"""((mount, cache class), status, body bytes sent, seconds taken): the metrics' tally, if any."""
UNMETERED = (NO_MOUNT, "none")
_on_response: list[OnResponse] = []


def observe(callback: OnResponse | None) -> None:
    """Have `callback` see every logged response (None: stop); one at a time."""
    _on_response[:] = [callback] if callback is not None else []


class _Batch:
    def __init__(self, fd: int = 2) -> None:
        self.fd = fd
        self.lines: list[bytes] = []
        self.size = 0
        self.timer: asyncio.TimerHandle | None = None

    def add(self, line: bytes) -> None:
        self.lines.append(line)
        self.size += len(line)
        if self.size >= WRITE_LIMIT:
            self.flush()
        elif self.timer is None:
            self.timer = asyncio.get_running_loop().call_later(BATCH_DELAY, self.flush)

    def flush(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        chunk: list[bytes] = []
        size = 0
        for line in self.lines:
            if chunk and size + len(line) > WRITE_LIMIT:
                self._write(b"".join(chunk))
                chunk, size = [], 0
            chunk.append(line)
            size += len(line)
        if chunk:
            self._write(b"".join(chunk))
        self.lines, self.size = [], 0

    def _write(self, data: bytes) -> None:
        try:
            while data:
                data = data[os.write(self.fd, data) :]
        except OSError:
            pass  # a closed stderr must not take serving down with it


BATCH = _Batch()
flush = BATCH.flush


class _Clock:
    """The log's timestamp, formatted once a second rather than once a request."""

    second = -1
    text = b""

    @classmethod
    def now(cls) -> bytes:
        second = int(time.time())
        if second != cls.second:
            cls.second = second
            cls.text = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(second)).encode()
        return cls.text


class AccessLogger(AbstractAccessLogger):
    def log(self, request: web.BaseRequest, response: web.StreamResponse, elapsed: float) -> None:
        sent = response.content_length or 0
        if isinstance(response, Streamed) and response.sent is not None:
            sent = response.sent  # less than Content-Length when the client went away
        if request.method == "HEAD" or response.status in (204, 304):
            sent = 0
        headers = request.headers
        record(
            request.remote, request.method, request.raw_path,
            f"{request.version.major}.{request.version.minor}",
            response.status, sent, headers.get("Referer", "-"), headers.get("User-Agent", "-"),
            elapsed, request.get(METER, UNMETERED),
        )  # fmt: skip


def record(
    remote: str | None,
    method: str,
    target: str,
    version: str,
    status: int,
    sent: int,
    referer: str,
    agent: str,
    elapsed: float,
    meter: tuple[str, str],
) -> None:
    """One answered request: its line, and the metrics' count under `meter` (mount, class)."""
    middle = line_middle(method, target, version, status, sent, referer, agent)
    replayed(line_start(remote), middle, elapsed, meter, status, sent)


def line_start(remote: str | None) -> bytes:
    """A line's part before the time: the same for every request of a connection."""
    return f"{remote} - - [".encode("utf-8", "backslashreplace")


def line_middle(
    method: str, target: str, version: str, status: int, sent: int, referer: str, agent: str
) -> bytes:
    """A line's part between the time and the seconds taken: the same for every replay of
    one answer to one head (server.hot keeps it)."""
    return (f'] "{method} {target} HTTP/{version}" {status} {sent} "{referer}" "{agent}" ').encode(
        "utf-8", "backslashreplace"
    )


def replayed(
    start: bytes, middle: bytes, elapsed: float, meter: tuple[str, str], status: int, sent: int
) -> None:
    """`record` from a line's kept parts (line_start, line_middle): the hot path's way."""
    BATCH.add(b"%s%s%s%.6f\n" % (start, _Clock.now(), middle, elapsed))
    for callback in _on_response:
        callback(meter, status, sent, elapsed)
