"""Gather: from the data roots to the Page, Feed and trace values a build writes.

One function per mount kind; all of them walk directories with `scan` and share `listing`.
Nothing here renders or writes (see render and write): pages are frozen values.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass, replace
from urllib.parse import quote, urljoin

from markdown_it import MarkdownIt

from rewrite_rules import Archive, Mount, MountKind
from rewrite_rules.resolve import (
    DISTS,
    KEYRING_NAME,
    POOL,
    REPREPRO_INTERNALS,
    SNAPSHOTS_DIR,
    TAGGED_AREAS,
    TRACE_DIR,
)

from .archive import read_distribution
from .hashes import HashCache
from .model import Feed, FeedEntry, Link, Page, Row, SerialRow, Stanza, Suite, validity
from .naturalsort import version_key
from .scan import Entry, scan
from .trace import snapshots_trace

SIGNATURE_SUFFIXES = (".sig", ".asc", ".sign")
NOT_RELEASES = (*SIGNATURE_SUFFIXES, ".sha256", ".sha512", ".md5", ".md", ".html", ".txt")
FEED_NAME = "feed.atom"
FEED_LENGTH = 20
HEADER_FILES = ("README.md", "HEADER.html")
_MARKDOWN = MarkdownIt("commonmark", {"html": False})  # a README cannot inject markup


@dataclass(frozen=True)
class Trace:
    url: str  # URL path of the trace file
    text: str


Output = Page | Feed | Trace


@dataclass(frozen=True)
class Site:
    """What every mount's pages need to know besides their own tree."""

    public_url: str
    now: float
    hashes: HashCache
    version: str


def mount_outputs(mount: Mount, archive: Archive, site: Site) -> Iterator[Output]:
    yield from _BY_KIND[mount.kind](mount, archive, site)


# --- shared -------------------------------------------------------------------------------


def breadcrumbs(url: str) -> tuple[Link, ...]:
    parts = [p for p in url.strip("/").split("/") if p]
    crumbs = [Link("/", "/")]
    for index, part in enumerate(parts):
        crumbs.append(Link(part, "/" + "/".join(parts[: index + 1]) + "/"))
    return tuple(crumbs)


def page(url: str, **fields: object) -> Page:
    title = url if url != "/" else "/"
    return Page(url=url, title=f"Index of {title}", breadcrumbs=breadcrumbs(url), **fields)


def listing(
    entries: tuple[Entry, ...], folder: str, hashes: HashCache | None = None
) -> tuple[Row, ...]:
    """Directories first, then files, each newest version first; signatures ride on their file."""
    names = {e.name for e in entries}
    rows = []
    for entry in sorted(entries, key=lambda e: (e.is_dir, version_key(e.name)), reverse=True):
        if entry.is_dir:
            rows.append(Row(entry.name + "/", quote(entry.name) + "/", True, mtime=_s(entry)))
            continue
        base, ext = os.path.splitext(entry.name)
        if ext in SIGNATURE_SUFFIXES and base in names:
            continue  # shown as a link on its file's row
        sigs = tuple(
            Link(suffix.lstrip("."), quote(entry.name + suffix))
            for suffix in SIGNATURE_SUFFIXES
            if entry.name + suffix in names
        )
        sha = (
            hashes.sha256(os.path.join(folder, entry.name), entry.size, entry.mtime_ns)
            if (hashes)
            else None
        )
        rows.append(Row(entry.name, quote(entry.name), False, entry.size, _s(entry), sha, sigs))
    return tuple(rows)


def _s(entry: Entry) -> int:
    return entry.mtime_ns // 1_000_000_000


def walk(root: str, top: str = "") -> Iterator[tuple[str, tuple[Entry, ...]]]:
    """(relative dir, its entries) for `top` and every directory below it, parents first."""
    entries = scan(os.path.join(root, top), root)
    yield top, entries
    for entry in sorted(entries, key=lambda e: e.name):
        if entry.is_dir:
            yield from walk(root, posixpath.join(top, entry.name))


def tree_pages(
    mount: Mount, top: str, url: str, hashes: HashCache | None = None
) -> Iterator[tuple[str, Page]]:
    """A plain listing page for `top` (under the root) and each directory below, at `url`…"""
    for rel, entries in walk(mount.root, top):
        sub = rel[len(top) :].strip("/")
        page_url = url + (quote(sub) + "/" if sub else "")
        folder = os.path.join(mount.root, rel)
        yield rel, page(page_url, rows=listing(entries, folder, hashes))


def suite(mount: Mount, site: Site, directory: str, uri_path: str, href: str) -> Suite | None:
    """The suite whose Release family sits in `directory`, with its ready-to-copy stanza."""
    dist = read_distribution(directory)
    if dist is None:
        return None
    types = ("deb", "deb-src") if dist.has_sources else ("deb",)
    signed_by = f"/etc/apt/keyrings/{mount.trace}.gpg" if mount.keyring else None
    keyring_url = _absolute(site, mount.url + KEYRING_NAME) if mount.keyring else None
    stanza = Stanza(
        types, _absolute(site, uri_path), (dist.codename,), dist.components, signed_by, keyring_url
    )
    return Suite(dist, validity(dist.valid_until, site.now), stanza, href)


def _absolute(site: Site, path: str) -> str:
    return urljoin(site.public_url, quote(path.lstrip("/")))


def _keyring(mount: Mount) -> Link | None:
    return Link(KEYRING_NAME, mount.url + KEYRING_NAME) if mount.keyring else None


# --- files --------------------------------------------------------------------------------


def files_outputs(mount: Mount, archive: Archive, site: Site) -> Iterator[Output]:
    for rel, listing_page in tree_pages(mount, "", mount.url, site.hashes):
        folder = os.path.join(mount.root, rel)
        fields: dict[str, object] = {"header_html": _header(folder), "keyring": _keyring(mount)}
        if rel and "/" not in rel:
            feed = _feed(mount, site, rel, listing_page.url)
            fields["feed"] = Link("Atom feed", feed.url)
            yield feed
        yield replace(listing_page, **fields)


def _header(folder: str) -> str | None:
    for name in HEADER_FILES:
        try:
            with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except OSError:
            continue
        return _MARKDOWN.render(text) if name.endswith(".md") else text
    return None


def _feed(mount: Mount, site: Site, top: str, url: str) -> Feed:
    """The newest releases anywhere below a top-level directory (signatures and notes aside)."""
    found = []
    for rel, entries in walk(mount.root, top):
        for entry in entries:
            if not entry.is_dir and not entry.name.endswith(NOT_RELEASES):
                found.append((rel, entry))
    found.sort(key=lambda item: (item[1].mtime_ns, version_key(item[1].name)), reverse=True)
    entries = tuple(
        FeedEntry(
            entry.name,
            _absolute(site, mount.url + quote(posixpath.join(rel, entry.name))),
            _s(entry),
            entry.size,
            site.hashes.sha256(
                os.path.join(mount.root, rel, entry.name), entry.size, entry.mtime_ns
            ),
        )
        for rel, entry in found[:FEED_LENGTH]
    )
    return Feed(url + FEED_NAME, f"{top} releases", _absolute(site, url), entries)


# --- snapshots ----------------------------------------------------------------------------


def snapshots_outputs(mount: Mount, archive: Archive, site: Site) -> Iterator[Output]:
    root, url = mount.root, mount.url
    by_serial: dict[str, list[str]] = {}
    for codename in archive.codenames:
        for serial in archive.serials.get(codename, ()):
            by_serial.setdefault(serial, []).append(codename)
    rows = []
    for serial in sorted(by_serial, reverse=True):
        suites = []
        for codename in sorted(by_serial[serial]):
            directory = os.path.join(root, DISTS, codename, SNAPSHOTS_DIR, serial)
            found = suite(mount, site, directory, f"{url}{serial}/", f"dists/{codename}/")
            if found is not None:
                suites.append(found)
        rows.append(_serial_row(serial, by_serial[serial], suites, site))
        yield page(
            f"{url}{serial}/",
            suites=tuple(suites),
            rows=(Row("dists/", "dists/", True), Row("pool/", "../pool/", True)),
            keyring=_keyring(mount),
        )
        yield page(
            f"{url}{serial}/dists/",
            rows=tuple(Row(c + "/", quote(c) + "/", True) for c in sorted(by_serial[serial])),
        )
        for codename in by_serial[serial]:
            top = posixpath.join(DISTS, codename, SNAPSHOTS_DIR, serial)
            dist_url = f"{url}{serial}/dists/{quote(codename)}/"
            for rel, listing_page in tree_pages(mount, top, dist_url):
                if rel == top:
                    own = [s for s in suites if s.distribution.codename == codename]
                    listing_page = replace(listing_page, suites=tuple(own))
                yield listing_page
    front = [Row("pool/", "pool/", True)]
    if os.path.isdir(os.path.join(root, *TRACE_DIR)) or archive.codenames:
        front.append(Row("project/trace/", "project/trace/", True))
    yield page(
        url,
        serials=tuple(rows),
        rows=tuple(front),
        keyring=_keyring(mount),
        note="One directory per snapshot serial (YYYYMMDDNN); the pool is shared.",
    )
    yield from (p for _, p in tree_pages(mount, POOL, f"{url}{POOL}/"))
    trace = snapshots_trace(root, archive, mount.keyring, _host(site), site.version)
    trace_url = f"{url}{'/'.join(TRACE_DIR)}/"
    names = {mount.trace} if trace is not None else set()
    names |= {e.name for e in scan(os.path.join(root, *TRACE_DIR), root) if not e.is_dir}
    yield page(trace_url, rows=tuple(Row(n, quote(n), False) for n in sorted(names)))
    if trace is not None:
        yield Trace(trace_url + mount.trace, trace)


def _serial_row(serial: str, codenames: list[str], suites: list[Suite], site: Site) -> SerialRow:
    dates = [s.distribution.date for s in suites if s.distribution.date]
    limits = [s.distribution.valid_until for s in suites if s.distribution.valid_until]
    until = min(limits) if limits else None
    complete = len(suites) == len(codenames) and all(s.distribution.signed for s in suites)
    return SerialRow(
        serial,
        f"{serial}/",
        max(dates) if dates else None,
        tuple(sorted(codenames)),
        until,
        validity(until, site.now),
        complete,
    )


def _host(site: Site) -> str:
    """The public host name: identical on every replica, so their traces agree byte for byte."""
    from urllib.parse import urlsplit

    return urlsplit(site.public_url).hostname or "localhost"


# --- repository and tagged ----------------------------------------------------------------


def repository_outputs(mount: Mount, archive: Archive, site: Site) -> Iterator[Output]:
    yield from _basedir_pages(mount, site, "", mount.url, skip=REPREPRO_INTERNALS)


def tagged_outputs(mount: Mount, archive: Archive, site: Site) -> Iterator[Output]:
    tags = scan(mount.root, mount.root)
    yield page(
        mount.url,
        rows=listing(tuple(e for e in tags if e.is_dir), mount.root),
        keyring=_keyring(mount),
    )
    for tag in (e.name for e in tags if e.is_dir):
        archives = scan(os.path.join(mount.root, tag), mount.root)
        tag_url = f"{mount.url}{quote(tag)}/"
        yield page(tag_url, rows=listing(tuple(e for e in archives if e.is_dir), ""))
        for name in (e.name for e in archives if e.is_dir):
            base = posixpath.join(tag, name)
            yield from _basedir_pages(
                mount, site, base, f"{tag_url}{quote(name)}/", only=frozenset(TAGGED_AREAS)
            )


def _basedir_pages(
    mount: Mount,
    site: Site,
    base: str,
    url: str,
    skip: frozenset[str] = frozenset(),
    only: frozenset[str] | None = None,
) -> Iterator[Page]:
    """A reprepro basedir: its suites with stanzas on top, then every served directory."""
    basedir = os.path.join(mount.root, base)
    dists = os.path.join(basedir, DISTS)
    suites = []
    for codename in _codenames(basedir):
        found = suite(mount, site, os.path.join(dists, codename), url, f"dists/{codename}/")
        if found is not None:
            suites.append(found)
    top = tuple(
        e
        for e in scan(basedir, mount.root)
        if e.name not in skip and (only is None or e.name in only)
    )
    yield page(url, suites=tuple(suites), rows=listing(top, basedir), keyring=_keyring(mount))
    for entry in top:
        if not entry.is_dir:
            continue
        area = posixpath.join(base, entry.name)
        for rel, listing_page in tree_pages(mount, area, f"{url}{quote(entry.name)}/"):
            codename = rel[len(posixpath.join(base, DISTS)) + 1 :]
            own = tuple(s for s in suites if s.distribution.codename == codename)
            yield replace(listing_page, suites=own) if own else listing_page


def _codenames(basedir: str) -> list[str]:
    from snapfront.inventory import read_archive

    return list(read_archive(basedir).codenames)


_BY_KIND = {
    MountKind.FILES: files_outputs,
    MountKind.SNAPSHOTS: snapshots_outputs,
    MountKind.REPOSITORY: repository_outputs,
    MountKind.TAGGED: tagged_outputs,
}
