"""Turn an opened file and a Decision into bytes on the wire: headers, then sendfile.

The body goes out with loop.sendfile (zero-copy on the stdlib loop); where the loop cannot
(uvloop, TLS) it falls back to bounded chunks, so memory stays flat for any file size.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping

from aiohttp import web

from .decide import Decision
from .files import Opened
from .httpdate import format_http_date
from .ranges import ByteRange, content_range, multipart_layout, new_boundary, unsatisfied_range

CHUNK = 256 * 1024
NO_STORE = "no-store"


def error_response(
    status: int, message: str, headers: Mapping[str, str] | None = None
) -> web.Response:
    """Every 4xx: short text, never stored by a cache (DESIGN: error class)."""
    resp = web.Response(status=status, text=message.rstrip("\n") + "\n", headers=headers)
    resp.headers["Cache-Control"] = NO_STORE
    return resp


def validator_headers(etag: str, last_modified: int, cache_control: str) -> dict[str, str]:
    """What a 200 and its 304 share (RFC 9110 §15.4.5)."""
    return {
        "ETag": etag,
        "Last-Modified": format_http_date(last_modified),
        "Cache-Control": cache_control,
    }


async def send_file(
    request: web.BaseRequest,
    opened: Opened,
    decision: Decision,
    *,
    headers: dict[str, str],
    content_type: str,
) -> web.StreamResponse:
    size = opened.stat.st_size
    if decision.status == 304:
        return web.Response(status=304, headers=headers)
    if decision.status == 412:
        return error_response(412, "precondition failed")
    if decision.status == 416:
        return error_response(
            416, "range not satisfiable", {"Content-Range": unsatisfied_range(size)}
        )
    headers = {**headers, "Accept-Ranges": "bytes", "X-Content-Type-Options": "nosniff"}
    ranges = decision.ranges
    if decision.status == 200:
        whole = [(b"", ByteRange(0, size - 1) if size else None)]
        headers["Content-Type"] = content_type
        return await _send(request, opened, 200, headers, whole, size)
    if len(ranges) == 1:
        only = ranges[0]
        headers |= {"Content-Type": content_type, "Content-Range": content_range(only, size)}
        return await _send(request, opened, 206, headers, [(b"", only)], only.length)
    boundary = new_boundary()
    parts, total = multipart_layout(ranges, size, content_type, boundary)
    headers["Content-Type"] = f"multipart/byteranges; boundary={boundary}"
    return await _send(request, opened, 206, headers, [(p.header, p.range) for p in parts], total)


async def _send(
    request: web.BaseRequest,
    opened: Opened,
    status: int,
    headers: dict[str, str],
    pieces: list[tuple[bytes, ByteRange | None]],
    length: int,
) -> web.StreamResponse:
    resp = web.StreamResponse(status=status, headers=headers)
    resp.content_length = length
    await resp.prepare(request)
    if request.method != "HEAD" and length:
        for header, byte_range in pieces:
            if header:
                await resp.write(header)
            if byte_range is not None:
                await _send_range(request, resp, opened.fd, byte_range)
    await resp.write_eof()
    return resp


async def _send_range(
    request: web.BaseRequest, resp: web.StreamResponse, fd: int, byte_range: ByteRange
) -> None:
    loop = asyncio.get_running_loop()
    transport = request.transport
    if transport is None or transport.is_closing():
        raise ConnectionResetError("client went away")
    with open(fd, "rb", buffering=0, closefd=False) as fileobj:
        try:
            sent = await loop.sendfile(transport, fileobj, byte_range.start, byte_range.length)
        except NotImplementedError:
            sent = None
    if sent is not None:
        if sent < byte_range.length:
            transport.close()  # the file shrank: a short body must not look complete
            raise ConnectionResetError("file shrank while it was being sent")
        return
    offset, remaining = byte_range.start, byte_range.length
    while remaining:
        chunk = await loop.run_in_executor(None, os.pread, fd, min(CHUNK, remaining), offset)
        if not chunk:
            raise ConnectionResetError("file shrank while it was being sent")
        await resp.write(chunk)
        offset += len(chunk)
        remaining -= len(chunk)
