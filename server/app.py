"""The request handler: resolve the URL, open what it names, answer like a careful origin."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from rewrite_rules import CacheClass, Miss, Mount, Redirect, Rules, resolve
from snapfront.config import Config
from snapfront.inventory import read_archive, read_inventory

from .decide import decide
from .files import IS_DIRECTORY, Opened, open_first
from .media_types import media_type
from .send import error_response, send_file, validator_headers
from .validators import ContentEtags, data_etag, last_modified

log = logging.getLogger("snapfront")

ALLOWED = "GET, HEAD"
REFRESH_INTERVAL = 1.0
"""At most one re-read per second of a mount's codenames and serials, prompted by misses."""

Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]


class Origin:
    """What the server knows now: config, rules and the archives' codenames and serials."""

    def __init__(self, config: Config) -> None:
        self.etags = ContentEtags()
        self._refreshed: dict[str, float] = {}
        self.apply(config)

    def apply(self, config: Config) -> None:
        """Swap in a (re-read) config; rules are replaced whole, never edited in place."""
        self.config = config
        self.rules = Rules(config.mounts, config.output, read_inventory(config.mounts))

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
        self.rules = Rules(self.rules.mounts, self.rules.output, archives)
        return True

    def cache_control(self, cls: CacheClass) -> str:
        return self.config.cache[cls]


def make_handler(origin: Origin) -> Handler:
    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        if request.method not in ("GET", "HEAD"):
            return error_response(405, "method not allowed", {"Allow": ALLOWED})
        raw, _, query = request.raw_path.partition("?")
        found = resolve(origin.rules, raw)
        if isinstance(found, Miss) and found.may_be_stale and await origin.refresh(found.mount):
            found = resolve(origin.rules, raw)
        if isinstance(found, Miss):
            return error_response(found.status, found.message)
        if isinstance(found, Redirect):
            return _redirect(origin, found.location, query)
        opened = open_first(found.sources)
        if opened is IS_DIRECTORY and not found.directory:
            return _redirect(origin, raw + "/", query)
        if not isinstance(opened, Opened):
            return error_response(404, "not found")
        try:
            return await _answer(origin, request, opened, found.cache)
        finally:
            opened.close()

    return handle


async def _answer(
    origin: Origin, request: web.BaseRequest, opened: Opened, cache: CacheClass
) -> web.StreamResponse:
    st = opened.stat
    if opened.source.generated:
        etag = origin.etags.etag(opened.path, opened.fd, st)
    else:
        etag = data_etag(st)
    modified = last_modified(st, time.time())
    decision = decide(
        request.headers, method=request.method, etag=etag, last_modified=modified, size=st.st_size
    )
    headers = validator_headers(etag, modified, origin.cache_control(cache))
    content_type = media_type(opened.source.relpath.rsplit("/", 1)[-1])
    return await send_file(request, opened, decision, headers=headers, content_type=content_type)


def _redirect(origin: Origin, location: str, query: str) -> web.Response:
    target = f"{location}?{query}" if query else location
    headers = {"Location": target, "Cache-Control": origin.cache_control(CacheClass.VOLATILE)}
    return web.Response(status=301, headers=headers, text=f"moved to {target}\n")
