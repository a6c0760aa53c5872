"""Turn a file's bytes and a Decision into a response: headers, then the body.

Two kinds of body: small files already in memory (one `web.Response`, no thread hop, no
syscall beyond the stat that validated them), and open files sent with loop.sendfile
(zero-copy on the stdlib loop), one socket buffer at a time so that a stalled client is
noticed within send_timeout. Where the loop cannot sendfile (uvloop) and over TLS (the bytes
must pass through OpenSSL; asyncio's own fallback would read 16 KiB per thread hop) the body
goes out in bounded chunks read by a thread, so memory stays flat for any file size.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web

from .deadlines import close
from .decide import Decision
from .httpdate import format_http_date
from .ranges import ByteRange, content_range, multipart_layout, new_boundary, unsatisfied_range

CHUNK = 256 * 1024
MIN_SENDFILE_CHUNK = 64 * 1024
NO_STORE = "no-store"


@dataclass(frozen=True)
class Body:
    """Where a response's bytes come from: `data` when in memory, else the open `fd`."""

    size: int
    data: bytes | None = None
    fd: int = -1


def error_response(
    status: int,
    message: str,
    headers: Mapping[str, str] | None = None,
    cache_control: str = NO_STORE,
) -> web.Response:
    """Every 4xx: short text, by default never stored by a cache (docs/urls.md: cache classes)."""
    resp = web.Response(status=status, text=message.rstrip("\n") + "\n", headers=headers)
    resp.headers["Cache-Control"] = cache_control
    return resp


def file_headers(etag: str, last_modified: int, cache_control: str, content_type: str) -> dict:
    """The headers of a file's plain 200; its 304 and 206 answers are cut from them."""
    return {
        "ETag": etag,
        "Last-Modified": format_http_date(last_modified),
        "Cache-Control": cache_control,
        "Content-Type": content_type,
        "Accept-Ranges": "bytes",
        "X-Content-Type-Options": "nosniff",
    }


NOT_MODIFIED_HEADERS = ("ETag", "Last-Modified", "Cache-Control", "Vary")
"""What a 304 repeats of the 200 (RFC 9110 §15.4.5)."""


def not_modified(headers: dict[str, str]) -> dict[str, str]:
    return {name: headers[name] for name in NOT_MODIFIED_HEADERS if name in headers}


async def send_body(
    request: web.BaseRequest,
    body: Body,
    decision: Decision,
    headers: dict[str, str],
    error_cache_control: str = NO_STORE,
) -> web.StreamResponse:
    """Answer with `decision`; `headers` are those of the plain 200 (see file_headers)."""
    size = body.size
    if decision.status == 304:
        return web.Response(status=304, headers=not_modified(headers))
    if decision.status == 412:
        return error_response(412, "precondition failed", cache_control=error_cache_control)
    if decision.status == 416:
        ranges = {"Content-Range": unsatisfied_range(size)}
        return error_response(416, "range not satisfiable", ranges, error_cache_control)
    if decision.status == 200:
        pieces = [(b"", ByteRange(0, size - 1) if size else None)]
        return await _send(request, body, 200, headers, pieces, size)
    ranges = decision.ranges
    if len(ranges) == 1:
        only = ranges[0]
        partial = {**headers, "Content-Range": content_range(only, size)}
        return await _send(request, body, 206, partial, [(b"", only)], only.length)
    boundary = new_boundary()
    parts, total = multipart_layout(ranges, size, headers["Content-Type"], boundary)
    multipart = {**headers, "Content-Type": f"multipart/byteranges; boundary={boundary}"}
    pieces = [(p.header, p.range) for p in parts]
    return await _send(request, body, 206, multipart, pieces, total)


Pieces = list[tuple[bytes, ByteRange | None]]


async def _send(
    request: web.BaseRequest,
    body: Body,
    status: int,
    headers: dict[str, str],
    pieces: Pieces,
    length: int,
) -> web.StreamResponse:
    if body.data is not None:
        data = body.data
        if status == 200:
            payload = data
        else:
            payload = b"".join(
                head + (data[r.start : r.end + 1] if r else b"") for head, r in pieces
            )
        return web.Response(status=status, headers=headers, body=payload)
    resp = Streamed(status=status, headers=headers)
    resp.content_length = length
    try:
        await resp.prepare(request)
        if request.method != "HEAD" and length:
            resp.sent = 0
            for head, byte_range in pieces:
                if head:
                    await resp.write(head)
                    resp.sent += len(head)
                if byte_range is not None:
                    await _send_range(request, resp, body.fd, byte_range)
        await resp.write_eof()
    except ConnectionError:
        # The client went away (or stalled past send_timeout, or the file shrank): the end
        # of this response, logged as its access-log line with what was sent, not an error.
        resp.force_close()
    return resp


class Streamed(web.StreamResponse):
    """A body sent from a file; `sent` counts the body bytes that left (None: not counted),
    a sendfile chunk at a time: a download cut short logs at most one socket buffer less."""

    sent: int | None = None


def _chunk_size(transport: asyncio.Transport) -> int:
    """About one socket send buffer: what a client that keeps reading takes in one go."""
    sock = transport.get_extra_info("socket")
    try:
        buffer = sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) if sock else 0
    except OSError:
        buffer = 0
    return max(MIN_SENDFILE_CHUNK, buffer)


async def _send_range(
    request: web.BaseRequest, resp: Streamed, fd: int, byte_range: ByteRange
) -> None:
    """Send one range, a socket buffer at a time, each within send_timeout (nginx's rule:
    a client that takes no buffer's worth in that time has stalled, and is reset)."""
    loop = asyncio.get_running_loop()
    transport = request.transport
    if transport is None or transport.is_closing():
        raise ConnectionResetError("client went away")
    timeout = getattr(request.protocol, "send_timeout", None)  # None: plain aiohttp, no limit
    offset, remaining = byte_range.start, byte_range.length
    if transport.get_extra_info("sslcontext") is None:  # TLS cannot go zero-copy
        offset, remaining = await _sendfile(resp, transport, fd, offset, remaining, timeout)
    while remaining:  # paused writes are timed by the protocol (deadlines.py)
        chunk = await loop.run_in_executor(None, os.pread, fd, min(CHUNK, remaining), offset)
        if not chunk:
            raise ConnectionResetError("file shrank while it was being sent")
        await resp.write(chunk)
        _count(resp, len(chunk))
        offset += len(chunk)
        remaining -= len(chunk)


async def _sendfile(
    resp: Streamed,
    transport: asyncio.Transport,
    fd: int,
    offset: int,
    remaining: int,
    timeout: float | None,
) -> tuple[int, int]:
    """Zero-copy, a socket buffer at a time; returns what is left when the loop cannot."""
    loop = asyncio.get_running_loop()
    with open(fd, "rb", buffering=0, closefd=False) as fileobj:
        while remaining:
            size = min(remaining, _chunk_size(transport))
            try:
                async with asyncio.timeout(timeout):
                    sent = await loop.sendfile(transport, fileobj, offset, size)
            except NotImplementedError:
                break  # this loop cannot sendfile: buffered writes
            except TimeoutError:
                close(transport, reset=True)
                raise ConnectionResetError("send timed out") from None
            _count(resp, sent)
            if sent < size:
                transport.close()  # the file shrank: a short body must not look complete
                raise ConnectionResetError("file shrank while it was being sent")
            offset += sent
            remaining -= sent
    return offset, remaining


def _count(resp: Streamed, sent: int) -> None:
    if resp.sent is not None:
        resp.sent += sent
