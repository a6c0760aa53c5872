"""Gather, shared pieces: the Site every page sees, listings, directory walks, suites.

The per-kind modules (files_pages, snapshot_pages, basedir_pages) build on these to produce
one part of a mount's output at a time (see generator.plan); generator.gather puts them
together. Nothing here renders or writes (see render and write): pages are frozen values.
"""

from __future__ import annotations

import functools
import os
import posixpath
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import quote, urljoin, urlsplit

from snapfront.base.stamps import stamps
from snapfront.basedir.release import read_distribution
from snapfront.diffs.cache import IndexCache
from snapfront.rewrite_rules import Mount
from snapfront.rewrite_rules.context import ancestors
from snapfront.rewrite_rules.names import KEYRING_NAME, RELEASE_NAMES

from .hashes import HashCache
from .model import (
    DAY,
    EXPIRING_WITHIN,
    Distribution,
    Feed,
    Link,
    Page,
    Row,
    Stanza,
    Suite,
    validity,
)
from .naturalsort import version_key
from .scan import Entry, scan

SIGNATURE_SUFFIXES = (".sig", ".asc", ".sign")
RELEASE_MEMO_LIMIT = 50_000


@dataclass(frozen=True)
class Trace:
    url: str  # URL path of the trace file
    text: str


Output = Page | Feed | Trace


@dataclass(frozen=True)
class Site:
    """What every mount's pages need to know besides their own tree.

    `settled_ns`: a file modified after this instant (ns since the epoch) and not in the future
    is still being written (an scp upload in place): it is left out of listings and feeds and
    not hashed, and its directory is noted in `held_back` so the watcher looks again once it is
    quiet. None (a plain `snapfront build`) lists everything.
    """

    public_url: str
    now: float
    hashes: HashCache
    version: str
    settled_ns: int | None = None
    held_back: set[str] = field(default_factory=set)
    releases: dict[tuple, Distribution | None] = field(default_factory=dict)
    listings: dict[str, tuple[Entry, ...]] = field(default_factory=dict)
    expiring_within: float = EXPIRING_WITHIN
    """Seconds before Valid-Until a snapshot shows as expiring (model.expiring_within)."""
    indexes: IndexCache = field(default_factory=lambda: IndexCache(None))
    """Parsed Packages/Sources by SHA256, for the changes pages (the builder's, persisted)."""
    lazy_pool: bool = False
    """`[pages] pool = "lazy"`: walks do not enter a basedir's pool/ (generator.pool_pages)."""
    """Directory → its entries as last scanned. Every scan refreshes it; only a `cached` scan
    (a feed walking a whole tree) reads it, and the watcher drops the directories it hears
    about, so a feed costs one scandir per changed directory, not one per directory."""

    @property
    def today(self) -> float:
        """00:00 UTC of the build's day: what validity and days left are counted from, so
        replicas that build minutes apart render the same bytes (only `now`'s date counts)."""
        return self.now // DAY * DAY

    def scan(self, path: str, mount: Mount, cached: bool = False) -> tuple[Entry, ...]:
        path = os.path.normpath(path)
        entries = self.listings.get(path) if cached else None
        if entries is None:
            entries = self.listings[path] = scan(path, mount)
        if self.settled_ns is None:
            return entries
        now_ns = time.time_ns()
        kept = tuple(e for e in entries if e.is_dir or not (self.settled_ns < e.mtime_ns <= now_ns))
        if len(kept) != len(entries):
            self.held_back.add(path)
        return kept

    def distribution(self, mount: Mount, directory: str) -> Distribution | None:
        """read_distribution, remembered by the Release family's stats: a snapshots front page
        shows every serial, and the watcher rebuilds it with each new one."""
        key = (directory, *stamps(directory, RELEASE_NAMES))
        if key not in self.releases:
            if len(self.releases) >= RELEASE_MEMO_LIMIT:
                self.releases.clear()
            self.releases[key] = read_distribution(directory, mount.root, mount.kind)
        return self.releases[key]


def breadcrumbs(url: str) -> tuple[Link, ...]:
    """A link to each parent directory URL of `url` (percent-encoded), labelled decoded.
    Whether each parent has a page is the URL map's to say: generator.links unlinks those
    that have none (/P/project/, the `jessie` of `jessie/updates`)."""
    return tuple(Link(label, href) for label, href in ancestors(url))


def page(url: str, **fields: object) -> Page:
    title = url if url != "/" else "/"
    return Page(url=url, title=f"Index of {title}", breadcrumbs=breadcrumbs(url), **fields)


Digest = Callable[[str, int, int], str | None]
"""(path, size, mtime_ns) -> sha256 hex digest, or None: a HashCache bound to one mount."""


def listing(
    entries: tuple[Entry, ...], folder: str, digest: Digest | None = None
) -> tuple[Row, ...]:
    """Directories first, then files, each newest version first; signatures ride on their file."""
    names = {e.name for e in entries}
    rows = []
    for entry in sorted(entries, key=lambda e: (e.is_dir, version_key(e.name)), reverse=True):
        if entry.is_dir:
            rows.append(Row(entry.name + "/", quote(entry.name) + "/", True, mtime=seconds(entry)))
            continue
        base, ext = os.path.splitext(entry.name)
        if ext in SIGNATURE_SUFFIXES and base in names:
            continue  # shown as a link on its file's row
        sigs = tuple(
            Link(suffix.lstrip("."), quote(entry.name + suffix))
            for suffix in SIGNATURE_SUFFIXES
            if entry.name + suffix in names
        )
        path = os.path.join(folder, entry.name)
        sha = digest(path, entry.size, entry.mtime_ns) if digest else None
        rows.append(
            Row(entry.name, quote(entry.name), False, entry.size, seconds(entry), sha, sigs)
        )
    return tuple(rows)


def seconds(entry: Entry) -> int:
    return entry.mtime_ns // 1_000_000_000


def walk(
    site: Site, mount: Mount, top: str = "", cached: bool = False
) -> Iterator[tuple[str, tuple[Entry, ...]]]:
    """(relative dir, its entries) for `top` and every directory below it, parents first;
    nothing when `top` is not a directory (it was removed: its pages are pruned)."""
    if os.path.isdir(os.path.join(mount.root, top)):
        yield from _walk(site, mount, top, cached)


def _walk(
    site: Site, mount: Mount, top: str, cached: bool, above: frozenset[str] = frozenset()
) -> Iterator[tuple[str, tuple[Entry, ...]]]:
    """`above`: the real paths of the directories walked through to get here. Links that lead
    back into one of them (a/x -> ../b, b/y -> ../a) are left out, so a walk always ends."""
    folder = os.path.join(mount.root, top)
    chain = above | {os.path.realpath(folder)}
    entries = site.scan(folder, mount, cached)
    if above:
        entries = tuple(
            e
            for e in entries
            if not (e.is_dir and os.path.realpath(os.path.join(folder, e.name)) in chain)
        )
    yield top, entries
    for entry in sorted(entries, key=lambda e: e.name):
        if entry.is_dir:
            yield from _walk(site, mount, posixpath.join(top, entry.name), cached, chain)


def tree_pages(
    site: Site, mount: Mount, top: str, url: str, hashed: bool = False, recursive: bool = True
) -> Iterator[tuple[str, Page]]:
    """A plain listing page for `top` (under the root) and, if recursive, each directory below
    it, at `url` and below; nothing when `top` is gone."""
    digest = functools.partial(site.hashes.sha256, mount) if hashed else None
    if recursive:
        found = walk(site, mount, top)
    elif os.path.isdir(os.path.join(mount.root, top)):
        found = iter([(top, site.scan(os.path.join(mount.root, top), mount))])
    else:
        found = iter(())
    for rel, entries in found:
        sub = rel[len(top) :].strip("/")
        page_url = url + (quote(sub) + "/" if sub else "")
        folder = os.path.join(mount.root, rel)
        yield rel, page(page_url, rows=listing(entries, folder, digest))


def suite(mount: Mount, site: Site, directory: str, uri_path: str, href: str) -> Suite | None:
    """The suite whose Release family sits in `directory`, with its ready-to-copy stanza;
    `href`: the absolute URL path of its dists/CODENAME/ page (shown on several pages)."""
    dist = site.distribution(mount, directory)
    if dist is None:
        return None
    types = ("deb", "deb-src") if dist.has_sources else ("deb",)
    signed_by = client_keyring(mount) if mount.keyring else None
    keyring_url = absolute(site, mount.url + KEYRING_NAME) if mount.keyring else None
    stanza = Stanza(
        types, absolute(site, uri_path), (dist.codename,), dist.components, signed_by, keyring_url
    )
    return Suite(dist, validity(dist.valid_until, site.today, site.expiring_within), stanza, href)


def client_keyring(mount: Mount) -> str:
    """Where a client keeps the mount's keyring (fetched from URL/keyring.gpg): a place APT's
    sandbox user `_apt` can read, named after the mount's trace, as in its stanzas."""
    return f"/etc/apt/keyrings/{mount.trace}.gpg"


def absolute(site: Site, path: str) -> str:
    return urljoin(site.public_url, quote(path.lstrip("/")))


def keyring_link(mount: Mount) -> Link | None:
    return Link(KEYRING_NAME, mount.url + KEYRING_NAME) if mount.keyring else None


def host(site: Site) -> str:
    """The public host name: identical on every replica, so their traces agree byte for byte."""
    return urlsplit(site.public_url).hostname or "localhost"
