"""Pool pages rendered on request and then kept (`[pages] pool = "lazy"`): which pages those are,
whether a requested one would exist in an eager build, and how a build keeps the kept ones
current without walking the pool.

A pool page is the page of `pool/` or any directory below it (in a tagged mount, of
`TAG/ARCHIVE/pool/`). At Debian's size they are ~85 % of the pages, of the build time and of
the output, and most are never read. In lazy mode no build walks the pool: a serving worker
renders a page on its first request (generator.on_request), except the few large directories
a build renders ahead (`large_dirs`), and from then on the builder (a
`snapfront build`, the watcher) checks each kept page with one stat of its directory
(generator.kept) and renders it again when it changed, or removes it when it went.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass, field
from urllib.parse import unquote

from snapfront.base.confined import real_root
from snapfront.rewrite_rules import Mount, MountKind
from snapfront.rewrite_rules.confine import may_serve, private_name, relative
from snapfront.rewrite_rules.names import INDEX_JSON, INDEX_PAGE, POOL, POOL_AT

from .kept import KeptPage, KeptPages, stamp_of
from .plan import Part, PartKind, page_url
from .write import Writer


def in_pool(mount: Mount, rel: str) -> bool:
    """Whether the data directory `rel` (relative to the root) is the pool or below it."""
    at = POOL_AT.get(mount.kind)
    segments = rel.split("/") if rel else []
    return at is not None and len(segments) > at and segments[at] == POOL


AHEAD_ENTRIES = 500
"""A pool directory with this many entries or more has its page rendered by the builds, never
on a request. Rendering costs ~40 µs an entry with a cold cache (bench/archive.py at 1M:
3,000 files took 115 ms, 600 took 31 ms; scan, render, JSON and compression all grow with
it), and a listing's first byte must come within 50 ms."""
ONE_BLOCK = 4096
"""A source directory no larger on disk holds ~100 names at most (ext4, XFS; tmpfs: ~200):
it is not counted. A bigger one is listed (names only) to count its entries."""
SOURCE_LEVEL = 3
"""pool/COMPONENT/PREFIX/SOURCE: the directories above it are listed whole (a few thousand);
the source directories (tens of thousands) cost one stat each; nothing below is looked at."""


def large_dirs(mount: Mount, top: str) -> list[str]:
    """The pool directories at or below `top` (relative to the root, in the pool) holding
    AHEAD_ENTRIES entries or more, found without reading the pool file by file: no file is
    stat'ed, and a source directory is listed only when its size shows many names. One
    missed (deeper, or on a filesystem whose directory size says nothing) is rendered on
    its first request as any other."""
    found: list[str] = []
    source_depth = POOL_AT[mount.kind] + 1 + SOURCE_LEVEL
    stack = [top]
    while stack:
        rel = stack.pop()
        depth = len(rel.split("/"))
        try:
            with os.scandir(os.path.join(mount.root, rel)) as listed:
                entries = list(listed)
        except OSError:
            continue
        if len(entries) >= AHEAD_ENTRIES:
            found.append(rel)
        for entry in entries:
            if depth >= source_depth or not entry.is_dir(follow_symlinks=False):
                continue
            if depth + 1 < source_depth:
                stack.append(posixpath.join(rel, entry.name))
                continue
            try:
                big = entry.stat(follow_symlinks=False).st_size > ONE_BLOCK
            except OSError:
                continue
            if big and _count(entry.path) >= AHEAD_ENTRIES:
                found.append(posixpath.join(rel, entry.name))
    return sorted(r for r in found if reachable(mount, r))


def _count(path: str) -> int:
    try:
        with os.scandir(path) as listed:
            return sum(1 for _ in listed)
    except OSError:
        return 0


def page_files(url: str) -> list[str]:
    """The files of a pool page, relative to the output (each with its .br/.gz variants)."""
    where = unquote(url).lstrip("/")
    return [where + INDEX_PAGE, where + INDEX_JSON]


def reachable(mount: Mount, rel: str) -> bool:
    """Whether an eager build's walk of the pool would reach `rel` and render its page: each
    step a servable directory (generator.scan's rules: no hidden or temporary name, resolves
    inside the root where the mount serves) that leads to no directory already walked through
    (generator.pages.walk's rule: a link back up never makes a page). So a request can only
    render a page an eager build would have, and a link loop cannot mint endless URLs."""
    if not in_pool(mount, rel):
        return False
    segments = rel.split("/")
    base = POOL_AT[mount.kind] + 1
    root = real_root(mount.root)
    chain: set[str] = set()
    here: tuple[str, ...] = ()
    for depth in range(base, len(segments) + 1):
        name = segments[depth - 1]
        path = os.path.join(mount.root, *segments[:depth])
        if private_name(name) or not os.path.isdir(path):
            return False
        real = os.path.realpath(path)
        found = relative(real, root)
        if found is None or not may_serve(mount.kind, found, directory=True):
            return False
        if depth > base and (real in chain or here[: len(found)] == found):
            return False
        chain.add(real)
        here = found
    return all(not private_name(s) for s in segments[:base])


@dataclass
class PoolRefresh:
    """One build's view of the kept pool pages: which to render again, which to keep as they
    are, and, once written, their new stamps."""

    kept: KeptPages
    output: str
    salt: str
    pending: dict[str, KeptPage] = field(default_factory=dict)
    """URL → its row once this build has written it (stamped before its directory is read)."""

    def split(
        self, mount: Mount, todo: list[Part], writer: Writer
    ) -> tuple[list[Part], list[Part], list[Part]]:
        """`todo` (a mount's parts) as (parts to produce as in eager mode, but no walk into the
        pool; pool pages to render again; parts whose stale pages are pruned). A pool PAGE
        part counts only if its page exists; a TREE part (of the pool or above it) checks
        the kept pages under it by their stamps, and stands for pruning the others."""
        produce: list[Part] = []
        pruned: list[Part] = []
        stale: dict[str, str] = {}
        rows: list[KeptPage] = []
        for part in todo:
            pool = not part.serial and in_pool(mount, part.path)
            if part.kind is PartKind.PAGE and pool:
                if self._exists(part.url):
                    stale[part.url] = part.path
                    pruned.append(part)
                continue  # no page: the first request renders it, current
            if part.kind is PartKind.TREE:
                rows += self._tree(mount, part, pool, stale)
            pruned.append(part)
            if not (part.kind is PartKind.TREE and pool):
                produce.append(part)
        current, gone = self._check(mount, rows, stale)
        self.kept.forget(gone)
        for row in current:
            if row.url not in stale:
                for path in page_files(row.url):
                    writer.keep(path)
        return produce, self._again(mount, stale), pruned

    def _tree(self, mount: Mount, part: Part, pool: bool, stale: dict[str, str]) -> list[KeptPage]:
        """The kept pages under a TREE part; in the pool, its large directories without a page
        join `stale`: rendered now, so no request waits for them."""
        rows = self.kept.under(mount.url, part.url)
        if pool:
            for rel in large_dirs(mount, part.path):
                if not self._exists(page_url(mount, rel)):
                    stale[page_url(mount, rel)] = rel
        return rows

    def _again(self, mount: Mount, stale: dict[str, str]) -> list[Part]:
        """A PAGE part for each stale pool page (its row pending until written); a directory
        gone since takes its kept pages with it (the part's prune takes their files)."""
        again = []
        for url, rel in sorted(stale.items()):
            stamp = stamp_of(os.path.join(mount.root, rel), self.salt)
            if stamp is None:  # gone: the part's prune takes its pages
                self.kept.forget_under(mount.url, url)
                continue
            self.pending[url] = KeptPage(url, mount.url, rel, stamp)
            again.append(Part(PartKind.PAGE, rel, url))
        return again

    def _check(
        self, mount: Mount, rows: list[KeptPage], stale: dict[str, str]
    ) -> tuple[list[KeptPage], list[str]]:
        """Sort kept rows into current and gone, adding the changed ones (and their kept
        parents, whose listing shows the directory's new mtime) to `stale`."""
        current, gone, changed = [], [], []
        for row in rows:
            stamp = stamp_of(os.path.join(mount.root, row.rel), self.salt)
            if stamp is None or not self._exists(row.url):
                gone.append(row.url)  # removed, or its files were: a request renders it again
            elif stamp != row.stamp:
                changed.append(row)
            else:
                current.append(row)
        known = {row.url for row in current}
        for row in changed:
            stale[row.url] = row.rel
            parent = posixpath.dirname(row.rel)
            if in_pool(mount, parent) and page_url(mount, parent) in known:
                stale[page_url(mount, parent)] = parent
        return current, gone

    def _exists(self, url: str) -> bool:
        return all(os.path.exists(os.path.join(self.output, p)) for p in page_files(url))

    def written(self, urls: set[str]) -> None:
        """Record the pages this build wrote; forget the ones it meant to but could not."""
        self.kept.record(row for url, row in self.pending.items() if url in urls)
        self.kept.forget(url for url in self.pending if url not in urls)
        self.pending.clear()


class KeptPoll:
    """For the watcher: the kept pages of snapshots mounts whose directory changed since the
    last call. Their pool is not watched (tens of thousands of directories, inotify's limit),
    so the watcher stats the directories of the pages that exist instead: one stat per kept
    page per call, nothing for the rest of the pool."""

    def __init__(self, kept: KeptPages, salt: str) -> None:
        self.kept = kept
        self.salt = salt
        self._last = 0
        self._known: dict[str, tuple[str, KeptPage]] = {}
        """URL → (the stamp last seen, its row); rows come in as they are written."""

    def changed(self, mounts: dict[str, Mount]) -> list[tuple[str, bool]]:
        """(absolute directory, gone) of each kept page whose directory changed since."""
        self._last, rows = self.kept.since(self._last)
        for row in rows:
            self._known[row.url] = (row.stamp, row)
        found = []
        for url, (seen, row) in list(self._known.items()):
            mount = mounts.get(row.mount)
            if mount is None or mount.kind is not MountKind.SNAPSHOTS:
                del self._known[url]
                continue
            path = os.path.join(mount.root, row.rel)
            stamp = stamp_of(path, self.salt)
            if stamp == seen:
                continue
            found.append((path, stamp is None))
            if stamp is None:
                del self._known[url]
            else:
                self._known[url] = (stamp, row)
        return found
