"""Turn a file's bytes and a Decision into a response: headers, then the body.

Two kinds of body: small files already in memory (one `web.Response`, no thread hop, no
syscall beyond the stat that validated them), and open files sent zero-copy with our own
sendfile loop (zerocopy.py: as much per call as the kernel takes, on any event loop), reset
when no byte leaves for send_timeout. Over TLS (the bytes must pass through OpenSSL;
asyncio's own fallback would read 16 KiB per thread hop) the body goes out in bounded chunks
read by a thread, so memory stays flat for any file size.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web

from .decide import Decision
from .httpdate import format_http_date
from .ranges import ByteRange, content_range, multipart_layout, new_boundary, unsatisfied_range
from .zerocopy import Unsupported, Zerocopy

CHUNK = 256 * 1024
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
            await _send_pieces(request, resp, body.fd, pieces)
        await resp.write_eof()
    except ConnectionError:
        # The client went away (or stalled past send_timeout, or the file shrank): the end
        # of this response, logged as its access-log line with what was sent, not an error.
        resp.force_close()
    return resp


class Streamed(web.StreamResponse):
    """A body sent from a file; `sent` counts the body bytes that left (None: not counted),
    as each sendfile call or copied chunk goes out."""

    sent: int | None = None

    def count(self, sent: int) -> None:
        if self.sent is not None:
            self.sent += sent


async def _send_pieces(request: web.BaseRequest, resp: Streamed, fd: int, pieces: Pieces) -> None:
    """Each piece's head through the transport, its range zero-copy (zerocopy.py) or, over
    TLS or where the file cannot sendfile, copied in bounded chunks."""
    transport = request.transport
    if transport is None or transport.is_closing():
        raise ConnectionResetError("client went away")
    timeout = getattr(request.protocol, "send_timeout", None)  # None: plain aiohttp, no limit
    plain = transport.get_extra_info("sslcontext") is None  # TLS cannot go zero-copy
    with Zerocopy(transport, timeout) if plain else contextlib.nullcontext() as zero:
        for head, byte_range in pieces:
            if head:
                await resp.write(head)
                resp.count(len(head))
            if byte_range is None:
                continue
            offset, length = byte_range.start, byte_range.length
            if zero is not None:
                try:
                    if await zero.send(fd, offset, length, resp.count) < length:
                        raise ConnectionResetError("file shrank while it was being sent")
                    continue
                except Unsupported:
                    zero = None
            await _copy(resp, fd, offset, length)


async def _copy(resp: Streamed, fd: int, offset: int, remaining: int) -> None:
    """Read by a thread, a chunk at a time; paused writes are timed by the protocol
    (deadlines.py), and memory stays flat for any file size."""
    loop = asyncio.get_running_loop()
    while remaining:
        chunk = await loop.run_in_executor(None, os.pread, fd, min(CHUNK, remaining), offset)
        if not chunk:
            raise ConnectionResetError("file shrank while it was being sent")
        await resp.write(chunk)
        resp.count(len(chunk))
        offset += len(chunk)
        remaining -= len(chunk)
