"""What the server knows now, and how it learns more: `Origin` holds the config, the rules and
each archive's codenames and serials, remembers resolutions, and re-reads an archive from disk
when a miss (an unknown serial or codename, a serial `gc` removed) says the rules may be stale.

Kept apart from the request handler (server.app), which only asks it and answers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from aiohttp import web

from snapfront.base.config import Config
from snapfront.base.site_files import static_dir
from snapfront.basedir.absent import Absence, serial_absent
from snapfront.basedir.inventory import codenames_with_serial, read_archive, read_inventory
from snapfront.rewrite_rules import (
    CacheClass,
    Miss,
    Mount,
    MountKind,
    Resolution,
    Rules,
    Target,
    resolve,
)
from snapfront.rewrite_rules.instants import instant_mount
from snapfront.rewrite_rules.resolve import SERIAL, SNAPSHOTS_DIR

from .on_request import OnRequest, Renderer
from .send import error_response
from .small_files import SmallFiles
from .validators import ContentEtags

REFRESH_INTERVAL = 1.0
"""At most one re-read per second of a mount's codenames and serials, prompted by misses."""
RESOLVED_LIMIT = 65536


class Origin:
    """What the server knows now: config, rules and the archives' codenames and serials."""

    def __init__(self, config: Config, render: Renderer | None = None) -> None:
        self.etags = ContentEtags()
        self.on_request = OnRequest(render) if render is not None else None
        """Renders a missing page that may be rendered on request (a lazy pool page)."""
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

    def settled(self, miss: Miss) -> bool:
        """Whether `refresh(miss)` would change nothing now, found with no more than its
        stats (no archive re-read due): the hot path (server.hot) may repeat the miss."""
        mount = miss.mount
        if not miss.may_be_stale or mount is None:
            return True
        if miss.serial and self._serial_on_disk(mount, miss):
            return False
        last = self._refreshed.get(mount.url, -REFRESH_INTERVAL)
        return time.monotonic() - last < REFRESH_INTERVAL

    def settled_check(self, miss: Miss) -> Callable[[], bool]:
        """`settled(miss)` for the hot path to repeat per request, cheaper once it held: then
        the serial's snapshot directories are proven missing (basedir.absent), and each later
        check is one stat per codename instead of a look for its signed Release family."""
        mount = miss.mount
        if not miss.may_be_stale or mount is None:
            return lambda: True
        proofs: list[tuple[Absence, ...]] = []
        refreshed, url = self._refreshed, mount.url

        def check() -> bool:
            if time.monotonic() - refreshed.get(url, -REFRESH_INTERVAL) >= REFRESH_INTERVAL:
                return False  # a re-read is due: the full path's refresh does it
            if proofs:
                for proof in proofs[0]:  # noqa: SIM110 (all() of a generator costs more per request)
                    if not proof.holds():
                        return False
                return True
            if not self.settled(miss):
                return False
            proof = self._serial_absent(mount, miss) if miss.serial else ()
            if proof is not None:
                proofs.append(proof)
            return True

        return check

    def _serial_absent(self, mount: Mount, miss: Miss) -> tuple[Absence, ...] | None:
        if not SERIAL.match(miss.serial):
            return ()  # never a snapshot on disk (codenames_with_serial)
        archive = self.rules.archive(mount)
        wanted = (miss.codename,) if miss.codename else archive.codenames
        return serial_absent(mount.root, tuple(wanted), miss.serial)

    def _serial_on_disk(self, mount: Mount, miss: Miss) -> tuple[str, ...]:
        """The codenames (of those the miss names) that hold its serial on disk now."""
        archive = self.rules.archive(mount)
        wanted = (miss.codename,) if miss.codename else archive.codenames
        return codenames_with_serial(mount.root, wanted, miss.serial)

    def _learn_serial(self, mount: Mount, miss: Miss) -> bool:
        found = self._serial_on_disk(mount, miss)
        if not found:
            return False
        archive = self.rules.archive(mount)
        archives = {**self.rules.archives, mount.url: archive.with_serial(miss.serial, found)}
        self._set_rules(self.rules.with_archives(archives))
        return True

    def forget_gone(self, target: Target, raw: str) -> bool:
        """A snapshots URL that found no file: when its serial's directory is gone (`snapshot
        gc` removed it), forget that serial, so the 404 lists the serials left. One stat when
        the URL names a codename whose snapshot is still there (the common 404), else one per
        codename holding the serial; True when the rules changed."""
        mount = target.mount
        if mount.kind is not MountKind.SNAPSHOTS:
            return False
        serial, codename = _snapshot_of(target, raw)
        archive = self.rules.archive(mount)
        own = codename and serial in archive.serials.get(codename, ())
        if own and codenames_with_serial(mount.root, (codename,), serial):
            return False  # its own snapshot is there: just a file it does not have
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

    async def render_page(self, target: Target) -> bool:
        """Whether the missing page of `target` was rendered just now (server.on_request)."""
        if self.on_request is None:
            return False
        return await self.on_request.page(self.config, target)

    def cache_control(self, cls: CacheClass) -> str:
        return self.config.cache[cls]

    def error(
        self, status: int, message: str, headers: dict[str, str] | None = None
    ) -> web.Response:
        return error_response(status, message, headers, self.cache_control(CacheClass.ERROR))


def _snapshot_of(target: Target, raw: str) -> tuple[str, str]:
    """(serial, codename) a snapshots Target serves from: dists/CODENAME/snapshots/SERIAL/…
    on disk, else (the URL's first segment, "") (a pool file through /P/SERIAL/pool/…)."""
    parts = target.sources[0].relpath.split("/")
    for index in range(2, len(parts) - 1):
        if parts[index] == SNAPSHOTS_DIR and SERIAL.match(parts[index + 1]):
            return parts[index + 1], "/".join(parts[1:index]) if parts[0] == "dists" else ""
    return raw[len(target.mount.url) :].split("/", 1)[0], ""
