"""The request handler: resolve the URL, find what it names, answer like a careful origin."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from rewrite_rules import (
    CacheClass,
    Miss,
    Mount,
    MountKind,
    Redirect,
    Resolution,
    Rules,
    Source,
    Target,
    resolve,
)
from rewrite_rules.instants import instant_mount
from rewrite_rules.paths import RESERVED_PREFIX
from rewrite_rules.policy import SURROGATE_KEY, surrogate_key
from rewrite_rules.resolve import SERIAL, SNAPSHOTS_DIR
from rewrite_rules.static import is_static
from snapfront.config import Config
from snapfront.inventory import codenames_with_serial, read_archive, read_inventory
from snapfront.site_files import static_dir

from .decide import decide
from .files import IS_DIRECTORY, IsDirectory, Opened, open_source
from .media_types import media_type
from .negotiate import acceptable
from .send import Body, error_response, file_headers, not_modified, send_body
from .small_files import Cached, SmallFiles
from .validators import ContentEtags, data_etag, last_modified

ALLOWED = "GET, HEAD"
REFRESH_INTERVAL = 1.0
"""At most one re-read per second of a mount's codenames and serials, prompted by misses."""
RESOLVED_LIMIT = 65536

Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]
Reserved = Callable[[web.BaseRequest, str], Awaitable[web.StreamResponse]]
METER = "snapfront.meter"
"""request[METER] = (mount URL, cache class): the labels metrics count this request under."""
NO_MOUNT = "none"


class Origin:
    """What the server knows now: config, rules and the archives' codenames and serials."""

    def __init__(self, config: Config) -> None:
        self.etags = ContentEtags()
        self._refreshed: dict[str, float] = {}
        self._resolved: dict[str, Resolution] = {}
        self.apply(config)

    def apply(self, config: Config) -> None:
        """Swap in a (re-read) config; rules are replaced whole, never edited in place."""
        self.config = config
        self.small = SmallFiles()  # its prebuilt headers carry the old [cache] policy
        archives = read_inventory(config.mounts, dates=True)
        self._set_rules(Rules(config.mounts, config.output, archives, static=static_dir()))

    def _set_rules(self, rules: Rules) -> None:
        self.rules = rules
        self._resolved = {}

    def resolve(self, raw: str) -> Resolution:
        """resolve(), remembered per path until the rules change (they are pure); a timestamp
        URL's answer depends on the clock too, so it is resolved afresh every time."""
        if instant_mount(self.rules, raw) is not None:
            return resolve(self.rules, raw, time.time())
        found = self._resolved.get(raw)
        if found is None:
            found = resolve(self.rules, raw)
            if len(self._resolved) >= RESOLVED_LIMIT:
                self._resolved = {}
            self._resolved[raw] = found
        return found

    async def refresh(self, miss: Miss) -> bool:
        """Learn from disk what a miss asked for; True when the rules changed.

        An unknown serial is looked for exactly (a stat per codename, on every such miss), so
        from the moment reprepro created it every worker serves it: a build tool reads the
        trace and fetches that InRelease at once. Anything else (an unknown codename) re-reads
        the whole archive, at most once a second, so a stream of bad URLs cannot scan the disk.
        """
        mount = miss.mount
        if mount is None:
            return False
        if miss.serial and self._learn_serial(mount, miss):
            return True
        return await self._reread(mount)

    async def before_instant(self, raw: str) -> None:
        """A timestamp URL floors to the Dates known: re-read its archive first (at most once a
        second per mount), so a serial taken (or removed) since is seen within a second."""
        mount = instant_mount(self.rules, raw)
        if mount is not None:
            await self._reread(mount)

    def _learn_serial(self, mount: Mount, miss: Miss) -> bool:
        archive = self.rules.archive(mount)
        wanted = (miss.codename,) if miss.codename else archive.codenames
        found = codenames_with_serial(mount.root, wanted, miss.serial)
        if not found:
            return False
        archives = {**self.rules.archives, mount.url: archive.with_serial(miss.serial, found)}
        self._set_rules(self.rules.with_archives(archives))
        return True

    def forget_gone(self, target: Target, raw: str) -> bool:
        """A snapshots URL that found no file: when its serial's directory is gone (`snapshot
        gc` removed it), forget that serial, so the 404 lists the serials left. A stat per
        codename, only on such misses; True when the rules changed."""
        mount = target.mount
        if mount.kind is not MountKind.SNAPSHOTS:
            return False
        serial = _serial_of(target, raw)
        archive = self.rules.archive(mount)
        holders = tuple(c for c in archive.codenames if serial in archive.serials.get(c, ()))
        present = codenames_with_serial(mount.root, holders, serial)
        if len(present) == len(holders):
            return False
        gone = set(holders) - set(present)
        archives = {**self.rules.archives, mount.url: archive.without_serial(serial, gone)}
        self._set_rules(self.rules.with_archives(archives))
        return True

    async def _reread(self, mount: Mount) -> bool:
        now = time.monotonic()
        if now - self._refreshed.get(mount.url, -REFRESH_INTERVAL) < REFRESH_INTERVAL:
            return False
        self._refreshed[mount.url] = now
        archive = await asyncio.get_running_loop().run_in_executor(
            None, read_archive, mount.root, mount.keyring, True
        )
        if archive == self.rules.archive(mount):
            return False
        archives = {**self.rules.archives, mount.url: archive}
        self._set_rules(self.rules.with_archives(archives))
        return True

    def cache_control(self, cls: CacheClass) -> str:
        return self.config.cache[cls]

    def error(
        self, status: int, message: str, headers: dict[str, str] | None = None
    ) -> web.Response:
        return error_response(status, message, headers, self.cache_control(CacheClass.ERROR))


def make_handler(origin: Origin, reserved: Reserved | None = None) -> Handler:
    """The request handler; `reserved` answers snapfront's own `/-/` URLs (server.endpoints)."""

    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        if request.method not in ("GET", "HEAD"):
            return origin.error(405, "method not allowed", {"Allow": ALLOWED})
        raw, _, query = request.raw_path.partition("?")
        if reserved is not None and raw.startswith(RESERVED_PREFIX) and not is_static(raw):
            request[METER] = (RESERVED_PREFIX, NO_MOUNT)  # no cache class: all no-store
            return await reserved(request, raw)
        await origin.before_instant(raw)
        found = origin.resolve(raw)
        if isinstance(found, Miss) and found.may_be_stale and await origin.refresh(found):
            found = origin.resolve(raw)
        if isinstance(found, Target):
            request[METER] = (found.mount.url, found.cache.value)
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


CONDITIONAL = ("If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since", "Range")


@dataclass(frozen=True)
class Streamed:
    """A file too large (or too odd) to keep in memory: answered from its open fd."""

    etag: str
    modified: int | None  # None: a generated file (see validators.last_modified)
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
    modified = int(cached.stat.st_mtime) if "Last-Modified" in cached.headers else None
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
    modified = None if source.generated else last_modified(st, now)
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


def _serial_of(target: Target, raw: str) -> str:
    """The serial a snapshots Target serves from: dists/CODENAME/snapshots/SERIAL/… on disk,
    else the URL's first segment (a pool file through /P/SERIAL/pool/…)."""
    parts = target.sources[0].relpath.split("/")
    for index in range(2, len(parts) - 1):
        if parts[index] == SNAPSHOTS_DIR and SERIAL.match(parts[index + 1]):
            return parts[index + 1]
    return raw[len(target.mount.url) :].split("/", 1)[0]
