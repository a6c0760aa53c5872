"""The request handler: resolve the URL, find what it names, answer like a careful origin.

What the server knows (config, rules, archives) and how it re-learns them is server.origin's
`Origin`; this module only asks it, then opens, caches or streams the file and answers.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from snapfront.rewrite_rules import CacheClass, Miss, Redirect, Source, Target
from snapfront.rewrite_rules.media_types import media_type
from snapfront.rewrite_rules.paths import RESERVED_PREFIX, merge_slashes
from snapfront.rewrite_rules.policy import SURROGATE_KEY, surrogate_key
from snapfront.rewrite_rules.static import is_static

from .decide import decide
from .files import IS_DIRECTORY, IsDirectory, Opened, open_source
from .negotiate import acceptable
from .origin import Origin
from .send import Body, file_headers, not_modified, send_body
from .small_files import Cached
from .validators import data_etag, last_modified

__all__ = ["ALLOWED", "METER", "NO_MOUNT", "Handler", "Reserved", "make_handler"]

ALLOWED = "GET, HEAD"

Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]
Reserved = Callable[[web.BaseRequest, str], Awaitable[web.StreamResponse]]
METER = "snapfront.meter"
"""request[METER] = (mount URL, cache class): the labels metrics count this request under."""
NO_MOUNT = "none"


def make_handler(origin: Origin, reserved: Reserved | None = None) -> Handler:
    """The request handler; `reserved` answers snapfront's own `/-/` URLs (server.endpoints)."""

    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        if request.method not in ("GET", "HEAD"):
            return origin.error(405, "method not allowed", {"Allow": ALLOWED})
        raw, _, query = request.raw_path.partition("?")
        if _reserved(raw) and reserved is not None:
            request[METER] = (RESERVED_PREFIX, NO_MOUNT)  # no cache class: all no-store
            return await reserved(request, raw)
        await origin.before_instant(raw)
        found = origin.resolve(raw)
        if isinstance(found, Miss) and found.may_be_stale and await origin.refresh(found):
            found = origin.resolve(raw)
        if isinstance(found, Target):
            request[METER] = (found.mount.url, found.cache.value)
            answer = await _serve_target(origin, request, found, raw, query)
            if answer.status == 404 and await origin.render_page(found):  # a lazy pool page
                answer = await _serve_target(origin, request, found, raw, query)
            if answer.status == 404 and origin.forget_gone(found, raw):
                again = origin.resolve(raw)
                if isinstance(again, Miss):
                    return origin.error(again.status, again.message)
                if isinstance(again, Target):  # a timestamp's floor moved to an older serial
                    return await _serve_target(origin, request, again, raw, query)
            return answer
        if isinstance(found, Redirect):
            request[METER] = (NO_MOUNT, CacheClass.VOLATILE.value)
            return _redirect(origin, found.location, query, found.status)
        request[METER] = (found.mount.url if found.mount else NO_MOUNT, CacheClass.ERROR.value)
        return origin.error(found.status, found.message)

    return handle


def _reserved(raw: str) -> bool:
    """A path of snapfront's own endpoints (/-/ready); `/-//ready` is resolve's 301 to it."""
    return raw.startswith(RESERVED_PREFIX) and not is_static(raw) and merge_slashes(raw) is None


CONDITIONAL = ("If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since", "Range")


@dataclass(frozen=True)
class Streamed:
    """A file too large (or too odd) to keep in memory: answered from its open fd."""

    etag: str
    modified: int
    headers: dict[str, str]
    body: Body


async def _serve_target(
    origin: Origin, request: web.BaseRequest, target: Target, raw: str, query: str
) -> web.StreamResponse:
    for source in target.sources:
        if source.generated:  # precompressed variants exist for generated text only
            for coding, suffix in acceptable(request.headers.get("Accept-Encoding")):
                variant = Source(source.base, source.relpath + suffix, generated=True)
                answer = await _serve_source(origin, request, target, variant, coding)
                if isinstance(answer, web.StreamResponse):
                    return answer
        answer = await _serve_source(origin, request, target, source, None)
        if isinstance(answer, web.StreamResponse):
            return answer
        if answer is IS_DIRECTORY and not target.directory:
            return _redirect(origin, raw + "/", query)
    return origin.error(404, "not found")


async def _serve_source(
    origin: Origin, request: web.BaseRequest, target: Target, source: Source, coding: str | None
) -> web.StreamResponse | IsDirectory | None:
    path = os.path.join(source.base, source.relpath)
    cached = origin.small.lookup(path, target.cache)
    if cached is None:
        opened = open_source(source, target.mount.kind)
        if not isinstance(opened, Opened):
            return opened
        try:
            found = _read(origin, opened, target, coding)
            if isinstance(found, Streamed):
                return await _answer(origin, request, found)
            cached = found
        finally:
            opened.close()
    headers = request.headers
    if not any(name in headers for name in CONDITIONAL):
        return web.Response(body=cached.data, headers=cached.headers)  # the hot path
    present = sum(name in headers for name in CONDITIONAL)
    if present == 1 and headers.get("If-None-Match") == cached.etag:
        return web.Response(status=304, headers=not_modified(cached.headers))  # APT, CDNs
    body = Body(cached.stat.st_size, data=cached.data)
    modified = int(cached.stat.st_mtime)  # never in the future: see _read
    return await _answer(origin, request, Streamed(cached.etag, modified, cached.headers, body))


def _read(origin: Origin, opened: Opened, target: Target, coding: str | None) -> Cached | Streamed:
    """Keep a small file in memory, or prepare to stream a large one from its fd."""
    st = opened.stat
    source = opened.source
    name = source.relpath.rsplit("/", 1)[-1]
    etag = origin.etags.etag(opened.path, opened.fd, st) if source.generated else data_etag(st)
    if coding:
        name = name.rsplit(".", 1)[0]  # the variant has the page's type, with a coding
    now = time.time()
    modified = last_modified(st, now)
    headers = file_headers(etag, modified, origin.cache_control(target.cache), media_type(name))
    headers[SURROGATE_KEY] = surrogate_key(target.mount.url, target.cache)
    if source.generated:
        headers["Vary"] = "Accept-Encoding"
    if coding:
        headers["Content-Encoding"] = coding
    if st.st_mtime <= now:  # a future mtime's Last-Modified moves with the clock: never kept
        path = os.path.join(source.base, source.relpath)
        cached = origin.small.remember(path, opened.fd, st, etag, headers, target.cache)
        if cached is not None:
            return cached
    return Streamed(etag, modified, headers, Body(st.st_size, fd=opened.fd))


async def _answer(origin: Origin, request: web.BaseRequest, found: Streamed) -> web.StreamResponse:
    decision = decide(
        request.headers,
        method=request.method,
        etag=found.etag,
        last_modified=found.modified,
        size=found.body.size,
    )
    return await send_body(
        request, found.body, decision, found.headers, origin.cache_control(CacheClass.ERROR)
    )


def _redirect(origin: Origin, location: str, query: str, status: int = 301) -> web.Response:
    target = f"{location}?{query}" if query else location
    headers = {"Location": target, "Cache-Control": origin.cache_control(CacheClass.VOLATILE)}
    return web.Response(status=status, headers=headers, text=f"moved to {target}\n")
