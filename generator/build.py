"""Render mounts into the output directory: gather, render, write — all of it, or some parts.

`build` is `snapfront build`: every part of every mount. The watcher keeps one `Builder` and
calls `update` with the parts a batch of changes touched (generator.plan); both go through the
one Writer, which skips unchanged bytes, so a rebuild that finds nothing new rewrites nothing.
A page whose URL belongs to another mount (the longest prefix wins, as in rewrite_rules) is
not written. One build's own tally (and its Report) is generator.build_run's.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping

from snapfront import __version__
from snapfront.base.config import Config
from snapfront.basedir.inventory import read_archive, read_inventory
from snapfront.basedir.model import Distribution
from snapfront.diffs.cache import IndexCache
from snapfront.health import newest_file
from snapfront.rewrite_rules import Archive, Mount, MountKind, Rules

from .assets import write_assets
from .build_run import Report, Run, Stop
from .hashes import HashCache
from .kept import KeptPages
from .memo import RenderMemo, template_salt
from .model import expiring_within
from .newest import NewestData
from .output_files import output_paths, stamps_of, write_output
from .pages import Output, Site
from .plan import Part, PartKind, archive_parts, mount_part
from .pool_pages import PoolRefresh
from .scan import Entry
from .scope import forget_removed, with_host
from .write import Writer

log = logging.getLogger("snapfront.watch")


def build(config: Config, now: float | None = None) -> Report:
    """A full build: every page, feed and trace of every mount; stale ones removed."""
    return Builder(config).full(now)


class Builder:
    """What outlives one build in a long-running watcher: the archives as last read (to see
    what a conf/distributions edit changed), the sha256 cache and the Release memo."""

    def __init__(self, config: Config, save_every: float = 0.0) -> None:
        self.config = config
        self.hashes = HashCache(config.output)
        self.releases: dict[tuple, Distribution | None] = {}
        self.archives: dict[str, Archive] = {}
        self.listings: dict[str, tuple[Entry, ...]] = {}
        self.shown = RenderMemo(config.output)
        """URL → (digest of the Page/Feed/Trace value, stats of its files) as last written;
        kept on disk, so a `snapfront build` of an unchanged tree renders nothing either."""
        self.indexes = IndexCache(config.output)
        """Parsed indexes and deltas by SHA256 (diffs.cache): a new serial parses only its
        new index files; kept on disk under output/.snapfront/indexes/."""
        self.newest = NewestData()
        """Each mount's newest entry, for health (health.newest_file): from the listings."""
        self.kept = KeptPages(config.output)
        """The pool pages rendered on request and kept (generator.pool_pages): lazy mode."""
        self.save_every = save_every
        """Seconds between saves of the sha256 cache after updates (its JSON holds every file
        of the tree: rewriting it for each new upload would cost more than the pages)."""
        self._saved = time.monotonic()

    def full(self, now: float | None = None, settled_ns: int | None = None) -> Report:
        """Everything, with a fresh sha256 cache that forgets files no longer seen."""
        self.hashes = HashCache(self.config.output)
        self.archives = read_inventory(self.config.mounts)
        self.listings = {}
        parts = {m.url: [mount_part(m)] for m in self.config.mounts}
        return self._build(parts, now, settled_ns, full=True)

    def update(
        self,
        parts: Mapping[str, Iterable[Part]],
        now: float | None = None,
        settled_ns: int | None = None,
        changed: Iterable[str] | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> Report:
        """Only `parts` (by mount URL); a snapshots mount's archive is re-read first, and the
        serials whose codenames changed (or that came or went) join the parts. `changed`: the
        data paths behind the parts, whose directories are scanned afresh (None: all are).
        `stop`, asked after each output: True ends the build early, the part under way and
        those after it left in `Report.unfinished` and nothing of theirs pruned (the watcher
        lets a new serial's trace overtake a long rebuild)."""
        wanted = {url: list(found) for url, found in parts.items()}
        whole = any(p.kind is PartKind.MOUNT for found in wanted.values() for p in found)
        if changed is None or whole:
            self.listings = {}
        for path in changed or ():
            self.listings.pop(os.path.normpath(path), None)
            self.listings.pop(os.path.dirname(os.path.normpath(path)), None)
        forget_removed(self.listings, changed or ())
        for mount in self.config.mounts:
            if mount.kind is MountKind.SNAPSHOTS and mount.url in wanted:
                new = read_archive(mount.root)
                old = self.archives.get(mount.url, new)
                wanted[mount.url] += archive_parts(mount, old, new)
                self.archives[mount.url] = new
        return self._build(wanted, now, settled_ns, full=False, stop=stop)

    def _build(
        self,
        parts: Mapping[str, Iterable[Part]],
        now: float | None,
        settled_ns: int | None,
        full: bool,
        stop: Stop = None,
    ) -> Report:
        started, hashed_before = time.monotonic(), self.hashes.hashed
        rules = Rules(self.config.mounts, self.config.output, self.archives)
        wanted, host = with_host(rules, parts, full)
        writer = Writer(self.config.output)
        run = Run(rules, self._site(now, settled_ns), writer, self._pool(), self._write)
        missing = self._missing()
        for mount in self.config.mounts:
            if mount not in missing:
                run.mount(mount, wanted.get(mount.url, ()), stop, full)
        run.host(host, self.config.mounts[0].url)
        if full or time.monotonic() - self._saved >= self.save_every:
            self.save(forget_unused=full)
        if full:
            self._full_kept()
            present = (m.url for m in self.config.mounts if m not in missing)
            run.removed = writer.prune(present, [m.url for m in missing])
            run.changed += write_assets(writer)  # the stylesheet and script the pages link
        self._record_newest(missing)
        return run.report(time.monotonic() - started, self.hashes.hashed - hashed_before)

    def _site(self, now: float | None, settled_ns: int | None) -> Site:
        """What every page of this build sees (pages.Site), over the builder's caches."""
        return Site(
            self.config.public_url, time.time() if now is None else now, self.hashes,
            __version__, settled_ns, releases=self.releases, listings=self.listings,
            expiring_within=expiring_within(self.config.health.min_valid_for),
            indexes=self.indexes, lazy_pool=self.config.pages.lazy_pool,
        )  # fmt: skip

    def _pool(self) -> PoolRefresh | None:
        """The kept pool pages' view for one build, in lazy mode only."""
        if not self.config.pages.lazy_pool:
            return None
        return PoolRefresh(self.kept, self.config.output, template_salt())

    def _missing(self) -> list[Mount]:
        """Mounts whose root is missing (unmounted, or being replaced): their pages wait."""
        missing = [m for m in self.config.mounts if not os.path.isdir(m.root)]
        for mount in missing:
            log.warning(
                "%s: root %s is missing; its pages are left as they are", mount.url, mount.root
            )
        return missing

    def _record_newest(self, missing: list[Mount]) -> None:
        """Each mount's newest data for health; a missing root keeps what was last seen."""
        newest = self.newest.find(
            (m for m in self.config.mounts if m not in missing), self.listings
        )
        before = newest_file.read(self.config.output) if missing else {}
        kept = {m.url: before[m.url] for m in missing if m.url in before}
        newest_file.write(self.config.output, kept | newest)

    def _full_kept(self) -> None:
        """After a full build: forget the kept pages of mounts gone from the config; in eager
        mode, all of them (every pool page is rendered in each build)."""
        if self.config.pages.lazy_pool:
            self.kept.retain(m.url for m in self.config.mounts)
        else:
            self.kept.clear()

    def _write(self, writer: Writer, output: Output, memo: bool = True) -> list[str]:
        """Write an output, unless it equals the one this builder last wrote at its URL and
        those files are untouched since: a rescan that finds nothing new renders nothing.
        Kept pool pages skip that memo (`memo` False): their stamps say when to render."""
        if not memo:
            return write_output(writer, output)
        paths = output_paths(output)
        stamps = stamps_of(self.config.output, paths)
        digest = self.shown.digest(output)
        if self.shown.get(output.url) == (digest, stamps) and None not in stamps:
            for path, packed in paths:
                writer.keep(path, packed)
            return []
        changed = write_output(writer, output)
        self.shown.set(output.url, digest, stamps_of(self.config.output, paths))
        return changed

    def save(self, forget_unused: bool = False) -> None:
        """Persist the sha256 cache; after a full build it forgets files no longer seen."""
        self.hashes.save(forget_unused=forget_unused)
        self.shown.save()
        self._saved = time.monotonic()
