"""Pages and feeds of a `files` mount (a release-tarball tree), one part at a time.

Every directory gets a hashed listing (sha256 on each row) under its README.md or
HEADER.html, and a SHA256SUMS when it holds files (generator.checksums); each top-level
directory also gets an Atom feed of the newest releases below it.
"""

from __future__ import annotations

import heapq
import os
import posixpath
from collections.abc import Iterator
from dataclasses import replace
from urllib.parse import quote

from markdown_it import MarkdownIt

from snapfront.base.confined import read_file
from snapfront.rewrite_rules import Archive, Mount

from .checksums import checksums
from .model import Feed, FeedEntry, Link, Page
from .naturalsort import version_key
from .pages import (
    SIGNATURE_SUFFIXES,
    Output,
    Site,
    absolute,
    keyring_link,
    seconds,
    tree_pages,
    walk,
)
from .plan import FEED_NAME, Part, PartKind, feed_part, page_url
from .render import demote_headings
from .scan import Entry

NOT_RELEASES = (*SIGNATURE_SUFFIXES, ".sha256", ".sha512", ".md5", ".md", ".html", ".txt")
FEED_LENGTH = 20
HEADER_FILES = ("README.md", "HEADER.html")
HEADER_LIMIT = 256 * 1024
"""A larger README.md/HEADER.html is listed but not inlined: a page stays a page."""
_MARKDOWN = MarkdownIt("commonmark", {"html": False})  # a README cannot inject markup


def full_parts(mount: Mount, archive: Archive, site: Site) -> set[Part]:
    tops = site.scan(mount.root, mount)  # only top-level directories have feeds
    return {Part(PartKind.TREE, "", mount.url)} | {
        feed_part(mount, e.name) for e in tops if e.is_dir
    }


def outputs(mount: Mount, archive: Archive, site: Site, part: Part) -> Iterator[Output]:
    if part.kind is PartKind.FEED:
        if os.path.isdir(os.path.join(mount.root, part.path)):
            yield _feed(mount, site, part.path, page_url(mount, part.path))
        return
    recursive = part.kind is PartKind.TREE
    for rel, listing_page in tree_pages(site, mount, part.path, part.url, True, recursive):
        yield _dressed(mount, site, rel, listing_page)


def _dressed(mount: Mount, site: Site, rel: str, listing_page: Page) -> Page:
    """A listing with its directory's header, the keyring, its SHA256SUMS and (top level
    only) its feed."""
    folder = os.path.join(mount.root, rel)
    fields: dict[str, object] = {
        "header_html": _header(mount, folder),
        "keyring": keyring_link(mount),
        "checksums": checksums(site, mount, folder),
    }
    if rel and "/" not in rel:
        fields["feed"] = Link("Atom feed", listing_page.url + FEED_NAME)
    return replace(listing_page, **fields)


def _header(mount: Mount, folder: str) -> str | None:
    """The first of HEADER_FILES that is a regular file the mount serves (never a FIFO, nor a
    symlink out of the root), at most HEADER_LIMIT bytes; its headings one level down."""
    for name in HEADER_FILES:
        data = read_file(mount.root, os.path.join(folder, name), mount.kind, HEADER_LIMIT)
        if data is None:
            continue
        text = data.decode("utf-8", errors="replace")
        return demote_headings(_MARKDOWN.render(text) if name.endswith(".md") else text)
    return None


def _feed(mount: Mount, site: Site, top: str, url: str) -> Feed:
    """The newest releases anywhere below a top-level directory (signatures and notes aside)."""
    found = [
        (rel, entry)
        for rel, entries in walk(site, mount, top, cached=True)
        for entry in entries
        if not entry.is_dir and not entry.name.endswith(NOT_RELEASES)
    ]
    entries = tuple(
        FeedEntry(
            entry.name,
            absolute(site, mount.url + quote(posixpath.join(rel, entry.name))),
            seconds(entry),
            entry.size,
            site.hashes.sha256(
                mount, os.path.join(mount.root, rel, entry.name), entry.size, entry.mtime_ns
            ),
        )
        for rel, entry in _newest(found, FEED_LENGTH)
    )
    return Feed(url + FEED_NAME, f"{top} releases", absolute(site, url), entries)


def _newest(found: list[tuple[str, Entry]], count: int) -> list[tuple[str, Entry]]:
    """The `count` newest by mtime, then version; only candidates get a version key, since a
    top-level directory may hold 100,000 files."""
    if len(found) > count:
        cut = heapq.nlargest(count, (entry.mtime_ns for _, entry in found))[-1]
        found = [item for item in found if item[1].mtime_ns >= cut]
    found.sort(key=lambda item: (item[1].mtime_ns, version_key(item[1].name)), reverse=True)
    return found[:count]
