"""Render mounts into the output directory: gather, render, write — all of it, or some parts.

`build` is `snapfront build`: every part of every mount. The watcher keeps one `Builder` and
calls `update` with the parts a batch of changes touched (generator.plan); both go through the
one Writer, which skips unchanged bytes, so a rebuild that finds nothing new rewrites nothing.
A page whose URL belongs to another mount (the longest prefix wins, as in rewrite_rules) is
not written.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from rewrite_rules import Archive, Mount, MountKind, Rules
from rewrite_rules.resolve import INDEX_PAGE, match_mount
from snapfront import __version__
from snapfront.config import Config
from snapfront.inventory import read_archive, read_inventory

from .gather import expand, outputs
from .hashes import HashCache
from .model import Distribution, Feed, Page
from .pages import Output, Site, Trace
from .plan import Part, PartKind, archive_parts, mount_part
from .render import page_json, render_feed, render_page
from .write import Writer

log = logging.getLogger("snapfront.watch")

INDEX_JSON = "index.json"
PRUNED = (PartKind.TREE, PartKind.SERIAL)
"""Parts that stand for everything under their URL: what they no longer produce is removed."""


@dataclass(frozen=True)
class Report:
    pages: int
    feeds: int
    traces: int
    written: int
    unchanged: int
    removed: int
    hashed: int
    seconds: float
    changed: tuple[str, ...] = ()
    """Output files written or removed, relative to the output directory ("/"-separated)."""
    produced: tuple[str, ...] = ()
    """URLs of the pages, feeds and traces rendered (written or found unchanged)."""
    held_back: tuple[str, ...] = ()
    """Directories in which files still being written were left out (see pages.Site)."""

    def summary(self) -> str:
        return (
            f"pages: {self.pages}, feeds: {self.feeds}, traces: {self.traces}; "
            f"files written: {self.written}, unchanged: {self.unchanged}, "
            f"removed: {self.removed}; hashed: {self.hashed}; {self.seconds:.2f} s"
        )


def build(config: Config, now: float | None = None) -> Report:
    """A full build: every page, feed and trace of every mount; stale ones removed."""
    return Builder(config).full(now)


class Builder:
    """What outlives one build in a long-running watcher: the archives as last read (to see
    what a conf/distributions edit changed), the sha256 cache and the Release memo."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.hashes = HashCache(config.output)
        self.releases: dict[tuple, Distribution | None] = {}
        self.archives: dict[str, Archive] = {}

    def full(self, now: float | None = None, settled_ns: int | None = None) -> Report:
        """Everything, with a fresh sha256 cache that forgets files no longer seen."""
        self.hashes = HashCache(self.config.output)
        self.archives = read_inventory(self.config.mounts)
        parts = {m.url: [mount_part(m)] for m in self.config.mounts}
        return self._build(parts, now, settled_ns, full=True)

    def update(
        self,
        parts: Mapping[str, Iterable[Part]],
        now: float | None = None,
        settled_ns: int | None = None,
    ) -> Report:
        """Only `parts` (by mount URL); a snapshots mount's archive is re-read first, and the
        serials whose codenames changed (or that came or went) join the parts."""
        wanted = {url: list(found) for url, found in parts.items()}
        for mount in self.config.mounts:
            if mount.kind is MountKind.SNAPSHOTS and mount.url in wanted:
                new = read_archive(mount.root)
                old = self.archives.get(mount.url, new)
                wanted[mount.url] += archive_parts(mount, old, new)
                self.archives[mount.url] = new
        return self._build(wanted, now, settled_ns, full=False)

    def _build(
        self,
        parts: Mapping[str, Iterable[Part]],
        now: float | None,
        settled_ns: int | None,
        full: bool,
    ) -> Report:
        started = time.monotonic()
        hashed_before = self.hashes.hashed
        when = time.time() if now is None else now
        site = Site(
            self.config.public_url, when, self.hashes, __version__, settled_ns,
            releases=self.releases,
        )  # fmt: skip
        rules = Rules(self.config.mounts, self.config.output, self.archives)
        writer = Writer(self.config.output)
        counts = {Page: 0, Feed: 0, Trace: 0}
        changed: list[str] = []
        produced: list[str] = []
        removed = 0
        missing = [m for m in self.config.mounts if not os.path.isdir(m.root)]
        for mount in missing:  # unmounted, or being replaced: its pages wait for it
            log.warning(
                "%s: root %s is missing; its pages are left as they are", mount.url, mount.root
            )
        for mount in self.config.mounts:
            if mount in missing:
                continue
            archive = rules.archive(mount)
            todo = expand(mount, archive, site, parts.get(mount.url, ()))
            for output in outputs(mount, archive, site, todo):
                if _owned(rules, mount, output):
                    changed += write_output(writer, output)
                    produced.append(output.url)
                    counts[type(output)] += 1
            if not full:
                removed += _prune(writer, rules, mount, todo, set(produced))
        self.hashes.save(forget_unused=full)
        if full:
            skip = [m.url for m in missing]
            removed = writer.prune((m.url for m in self.config.mounts if m not in missing), skip)
        return Report(
            counts[Page],
            counts[Feed],
            counts[Trace],
            writer.written,
            writer.unchanged,
            removed,
            self.hashes.hashed - hashed_before,
            time.monotonic() - started,
            tuple(changed + writer.removed_paths),
            tuple(produced),
            tuple(sorted(site.held_back)),
        )


def write_output(writer: Writer, output: Output) -> list[str]:
    """Render and write one output; the output paths whose bytes changed."""
    if isinstance(output, Page):
        folder = unquote(output.url).lstrip("/")
        files = [
            (folder + INDEX_PAGE, render_page(output).encode(), True),
            (folder + INDEX_JSON, page_json(output).encode(), True),
        ]
    elif isinstance(output, Feed):
        files = [(unquote(output.url).lstrip("/"), render_feed(output).encode(), True)]
    else:
        files = [(unquote(output.url).lstrip("/"), output.text.encode(), False)]
    return [path for path, data, packed in files if writer.write(path, data, compress=packed)]


def _owned(rules: Rules, mount: Mount, output: Output) -> bool:
    return match_mount(rules, _segments(output.url)) is mount


def _prune(writer: Writer, rules: Rules, mount: Mount, parts: list[Part], seen: set[str]) -> int:
    """Remove what a part stood for and no longer produces: a removed directory's pages, a
    dropped serial's. Another mount's URLs (nested inside, or owning the prefix) are left alone."""
    prefixes = [p.url for p in parts if p.kind in PRUNED]
    prefixes += [p.url for p in parts if p.kind is PartKind.PAGE and p.url not in seen]
    prefixes = [p for p in prefixes if match_mount(rules, _segments(p)) is mount]
    others = [m.url for m in rules.mounts if m is not mount]
    nested = [u for u in others if any(u.startswith(p) for p in prefixes)]
    return writer.prune(prefixes, nested) if prefixes else 0


def _segments(url: str) -> tuple[str, ...]:
    return tuple(s for s in unquote(url).split("/") if s)
