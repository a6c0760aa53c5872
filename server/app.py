"""The request handler: resolve the URL, find what it names, answer like a careful origin."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from rewrite_rules import CacheClass, Miss, Mount, Redirect, Resolution, Rules, Target, resolve
from snapfront.config import Config
from snapfront.inventory import read_archive, read_inventory

from .decide import decide
from .files import IS_DIRECTORY, Opened, open_source
from .media_types import media_type
from .send import Body, error_response, send_body, validator_headers
from .small_files import SmallFiles
from .validators import ContentEtags, data_etag, last_modified

ALLOWED = "GET, HEAD"
REFRESH_INTERVAL = 1.0
"""At most one re-read per second of a mount's codenames and serials, prompted by misses."""
RESOLVED_LIMIT = 65536

Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]


class Origin:
    """What the server knows now: config, rules and the archives' codenames and serials."""

    def __init__(self, config: Config) -> None:
        self.etags = ContentEtags()
        self.small = SmallFiles()
        self._refreshed: dict[str, float] = {}
        self._resolved: dict[str, Resolution] = {}
        self.apply(config)

    def apply(self, config: Config) -> None:
        """Swap in a (re-read) config; rules are replaced whole, never edited in place."""
        self.config = config
        self._set_rules(Rules(config.mounts, config.output, read_inventory(config.mounts)))

    def _set_rules(self, rules: Rules) -> None:
        self.rules = rules
        self._resolved = {}

    def resolve(self, raw: str) -> Resolution:
        """resolve(), remembered per path until the rules change (they are pure)."""
        found = self._resolved.get(raw)
        if found is None:
            found = resolve(self.rules, raw)
            if len(self._resolved) >= RESOLVED_LIMIT:
                self._resolved = {}
            self._resolved[raw] = found
        return found

    async def refresh(self, mount: Mount | None) -> bool:
        """Re-read one mount's archive after a miss that fresher knowledge could turn into a hit.

        A new serial appears several times a day; this picks it up on its first request,
        without waiting for SIGHUP, and without letting a stream of bad URLs rescan the disk.
        """
        if mount is None:
            return False
        now = time.monotonic()
        if now - self._refreshed.get(mount.url, -REFRESH_INTERVAL) < REFRESH_INTERVAL:
            return False
        self._refreshed[mount.url] = now
        archive = await asyncio.get_running_loop().run_in_executor(None, read_archive, mount.root)
        if archive == self.rules.archive(mount):
            return False
        archives = {**self.rules.archives, mount.url: archive}
        self._set_rules(Rules(self.rules.mounts, self.rules.output, archives))
        return True

    def cache_control(self, cls: CacheClass) -> str:
        return self.config.cache[cls]


def make_handler(origin: Origin) -> Handler:
    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        if request.method not in ("GET", "HEAD"):
            return error_response(405, "method not allowed", {"Allow": ALLOWED})
        raw, _, query = request.raw_path.partition("?")
        found = origin.resolve(raw)
        if isinstance(found, Miss) and found.may_be_stale and await origin.refresh(found.mount):
            found = origin.resolve(raw)
        if isinstance(found, Target):
            return await _serve_target(origin, request, found, raw, query)
        if isinstance(found, Redirect):
            return _redirect(origin, found.location, query)
        return error_response(found.status, found.message)

    return handle


async def _serve_target(
    origin: Origin, request: web.BaseRequest, target: Target, raw: str, query: str
) -> web.StreamResponse:
    for source in target.sources:
        path = os.path.join(source.base, source.relpath)
        cached = origin.small.lookup(path)
        if cached is not None:
            body = Body(cached.stat.st_size, data=cached.data)
            return await _answer(origin, request, target, path, cached.stat, cached.etag, body)
        opened = open_source(source)
        if opened is IS_DIRECTORY and not target.directory:
            return _redirect(origin, raw + "/", query)
        if not isinstance(opened, Opened):
            continue
        try:
            st = opened.stat
            if source.generated:
                etag = origin.etags.etag(opened.path, opened.fd, st)
            else:
                etag = data_etag(st)
            kept = origin.small.remember(path, opened.fd, st, etag)
            body = Body(st.st_size, data=kept.data) if kept else Body(st.st_size, fd=opened.fd)
            return await _answer(origin, request, target, path, st, etag, body)
        finally:
            opened.close()
    return error_response(404, "not found")


async def _answer(
    origin: Origin,
    request: web.BaseRequest,
    target: Target,
    path: str,
    st: os.stat_result,
    etag: str,
    body: Body,
) -> web.StreamResponse:
    modified = last_modified(st, time.time())
    decision = decide(
        request.headers, method=request.method, etag=etag, last_modified=modified, size=body.size
    )
    headers = validator_headers(etag, modified, origin.cache_control(target.cache))
    content_type = media_type(path.rsplit("/", 1)[-1])
    return await send_body(request, body, decision, headers=headers, content_type=content_type)


def _redirect(origin: Origin, location: str, query: str) -> web.Response:
    target = f"{location}?{query}" if query else location
    headers = {"Location": target, "Cache-Control": origin.cache_control(CacheClass.VOLATILE)}
    return web.Response(status=301, headers=headers, text=f"moved to {target}\n")
