"""A changed data path → the parts of a mount's output that depend on it. Pure: no I/O.

The watcher hears "this path under this mount changed" and must regenerate only what shows it:
each mount kind maps its own data layout to the `Part`s (generator.parts) made from it.

A repository mount's suite history (suites.history, under db/) is the mount's page and the
suite's dists/SUITE/ page, which show it (generator.suite_pages).

A files mount's PAGE also writes its directory's SHA256SUMS (generator.checksums), so a file
written, added or removed there refreshes the sums with the listing.

`affected` maps one change; `normalize` drops parts that a wider one in the same batch covers,
so no page is produced twice. The full build is the union of `generator.gather.full_parts`.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from snapfront.basedir.intent import INTENT_REL
from snapfront.rewrite_rules import Archive, Mount, MountKind
from snapfront.rewrite_rules.names import split_codename
from snapfront.rewrite_rules.resolve import (
    DISTS,
    LOCK_NAMES,
    POOL,
    RELEASE_FAMILY,
    REPREPRO_INTERNALS,
    SERIAL,
    SNAPSHOTS_DIR,
    TAGGED_AREAS,
    TEMPORARY_SUFFIXES,
    TRACE_DIR,
)
from snapfront.suites.history import suite_of
from snapfront.suites.incoming import REJECTED_DIR
from snapfront.suites.names import INCOMING_DIR

from .parts import (
    FEED_NAME,
    Change,
    Part,
    PartKind,
    changes_part,
    feed_part,
    front_part,
    host_part,
    live_part,
    mount_part,
    page_url,
    pool_part,
    serial_part,
    trace_part,
)

__all__ = [  # generator.parts' names too: the page producers and tests take them from here
    "CONF", "FEED_NAME", "Change", "Part", "PartKind", "affected", "archive_parts",
    "changes_part", "feed_part", "front_part", "host_part", "ignored",
    "live_part", "mount_part", "normalize", "page_url", "pool_part", "serial_part",
    "temporary", "trace_part",
]  # fmt: skip

CONF = "conf"
REJECTED_UPLOADS = (INCOMING_DIR, REJECTED_DIR)
"""Where suites.uploads keeps rejected uploads: a repository's top page lists them."""
EDITOR_SUFFIXES = ("~", ".swp", ".swx", ".swo")
"""Editors' backups and swap files (vim's are hidden names as well: `.NAME.swp`)."""


def temporary(name: str) -> bool:
    """A name some tool writes before renaming it into place, or never means to publish:
    rsync's `.NAME.XXXXXX` and `.~tmp~/`, reprepro's `NAME.new`, editors' `NAME~` and `.swp`."""
    return (
        name.startswith(".")
        or name.endswith(TEMPORARY_SUFFIXES)
        or name.endswith(EDITOR_SUFFIXES)
        or name in LOCK_NAMES
    )


def ignored(rel: str) -> bool:
    """True when no page can depend on `rel`: a temporary name anywhere on its path."""
    return any(temporary(segment) for segment in rel.split("/") if segment)


def affected(mount: Mount, codenames: Sequence[str], change: Change) -> frozenset[Part]:
    """Every part of `mount`'s output whose bytes may differ after `change`."""
    if ignored(change.rel):
        return frozenset()
    if not change.rel and change.structural:  # the root itself came (back): everything
        return frozenset({mount_part(mount)})
    return frozenset(_BY_KIND[mount.kind](mount, codenames, change))


def normalize(parts: Iterable[Part]) -> frozenset[Part]:
    """Drop parts that a wider part of the same batch already produces."""
    parts = frozenset(parts)
    if any(p.kind is PartKind.MOUNT for p in parts):
        return frozenset(p for p in parts if p.kind is PartKind.MOUNT)
    trees = [p.path for p in parts if p.kind is PartKind.TREE]
    serials = {p.path for p in parts if p.kind is PartKind.SERIAL}

    def covered(part: Part) -> bool:
        if part.kind not in (PartKind.PAGE, PartKind.TREE):
            return False
        if part.serial in serials:
            return True
        return any(
            _under(part.path, tree) and (part.kind is PartKind.PAGE or part.path != tree)
            for tree in trees
        )

    return frozenset(p for p in parts if not covered(p))


def archive_parts(mount: Mount, old: Archive, new: Archive) -> set[Part]:
    """What a snapshots mount's changed codenames or serials mean (conf/distributions edited,
    a serial found or gone): each serial whose codenames differ, the front page, the trace,
    and the changes page of the serial after each one that came or went (gc removed the one
    it was compared with); the host's page at "/" when the newest serial changed."""
    changed = {
        serial
        for serial in old.all_serials() | new.all_serials()
        if _holding(old, serial) != _holding(new, serial)
    }
    if not changed:
        return set()
    parts = {serial_part(mount, s) for s in changed} | {front_part(mount), trace_part(mount)}
    if max(old.all_serials(), default=None) != max(new.all_serials(), default=None):
        parts.add(host_part())
    remaining = sorted(new.all_serials())
    for serial in changed:
        later = [s for s in remaining if s > serial]
        if later:
            parts.add(changes_part(mount, later[0]))
    return parts


def _holding(archive: Archive, serial: str) -> frozenset[str]:
    return frozenset(c for c, serials in archive.serials.items() if serial in serials)


def _under(path: str, top: str) -> bool:
    return top == "" or path == top or path.startswith(top + "/")


def _listing_parts(change: Change, url: str, parent_url: str, serial: str = "") -> set[Part]:
    """A directory's own page or tree, and the page that lists it (its parent's)."""
    rel, parent = change.rel, posixpath.dirname(change.rel)
    parts: set[Part] = set()
    if change.is_dir:
        kind = PartKind.TREE if change.structural else PartKind.PAGE
        parts.add(Part(kind, rel, url, serial))
    if rel:
        parts.add(Part(PartKind.PAGE, parent, parent_url, serial))
    return parts


# --- per kind -----------------------------------------------------------------------------


def _files(mount: Mount, codenames: Sequence[str], change: Change) -> set[Part]:
    rel = change.rel
    parent = posixpath.dirname(rel)
    parts = _listing_parts(change, page_url(mount, rel), page_url(mount, parent))
    top = rel.split("/", 1)[0]
    if rel and (change.is_dir or "/" in rel):
        parts.add(feed_part(mount, top))
    return parts


def _repository(mount: Mount, codenames: Sequence[str], change: Change) -> set[Part]:
    if change.rel.split("/")[:2] == list(REJECTED_UPLOADS):  # listed on the top page
        return {Part(PartKind.PAGE, "", page_url(mount, ""))}
    suite = suite_of(change.rel)
    if suite is not None:  # its history (db/, never served): the pages that show it
        dists = posixpath.join(DISTS, suite)
        return {front_part(mount), Part(PartKind.PAGE, dists, page_url(mount, dists))}
    return _basedir(mount, change, "", frozenset(REPREPRO_INTERNALS - {CONF}), None)


def _tagged(mount: Mount, codenames: Sequence[str], change: Change) -> set[Part]:
    segments = change.rel.split("/") if change.rel else []
    if len(segments) <= 2:  # the root (tags), a tag (archives) or a basedir's own page
        parent = posixpath.dirname(change.rel)
        return _listing_parts(change, page_url(mount, change.rel), page_url(mount, parent))
    base = "/".join(segments[:2])
    return _basedir(mount, change, base, frozenset(), frozenset(TAGGED_AREAS))


def _basedir(
    mount: Mount,
    change: Change,
    base: str,
    skip: frozenset[str],
    only: frozenset[str] | None,
) -> set[Part]:
    """A reprepro basedir at `base`: its conf/ decides the suites shown on its pages."""
    inner = change.rel[len(base) :].strip("/")
    area = inner.split("/", 1)[0]
    if area == CONF:
        dists = posixpath.join(base, DISTS)
        return {
            Part(PartKind.PAGE, base, page_url(mount, base)),
            Part(PartKind.TREE, dists, page_url(mount, dists)),
        }
    if area in skip or (area and only is not None and area not in only):
        return set()
    parent = posixpath.dirname(change.rel)
    parts = _listing_parts(change, page_url(mount, change.rel), page_url(mount, parent))
    name = posixpath.basename(inner)
    if area == DISTS and name in RELEASE_FAMILY and not change.is_dir:
        parts.add(Part(PartKind.PAGE, base, page_url(mount, base)))  # suites on the top page
    return parts


def _snapshots(mount: Mount, codenames: Sequence[str], change: Change) -> set[Part]:
    segments = change.rel.split("/") if change.rel else []
    if not segments:
        return {front_part(mount)}
    head = segments[0]
    if head == CONF:
        return {_codenames_part(mount)}
    if head == TRACE_DIR[0] or change.rel == INTENT_REL:  # a take's record gone: its serial
        return {front_part(mount), trace_part(mount)}
    if head == POOL:
        parent = posixpath.dirname(change.rel)
        return _listing_parts(change, page_url(mount, change.rel), page_url(mount, parent))
    if head != DISTS or len(segments) == 1:
        return set()
    codename, rest = split_codename(codenames, segments[1:])
    if codename is None:  # a codename found on disk only, or a new one
        new = {_codenames_part(mount)}
        return new | {live_part(mount)} if mount.live else new
    if not rest or rest[0] != SNAPSHOTS_DIR or len(rest) == 1:
        return _live_change(mount, change, rest)
    return _serial_change(mount, change, codename, rest[1], rest[2:])


def _codenames_part(mount: Mount) -> Part:
    """The codenames of a snapshots mount, to be read again (the builder compares them)."""
    return Part(PartKind.CODENAMES, "", mount.url)


def _live_change(mount: Mount, change: Change, rest: tuple[str, ...]) -> set[Part]:
    """dists/CODENAME/`rest` outside any serial: the live archive's pages (and the archive
    page's live stanza for its Release family); a directory created or removed at or right
    below the codename, its codenames."""
    structural = change.is_dir and change.structural and len(rest) <= 1
    found = {_codenames_part(mount)} if structural else set()
    if mount.live and rest[:1] != (SNAPSHOTS_DIR,):
        found.add(live_part(mount))
        if len(rest) == 1 and rest[0] in RELEASE_FAMILY:
            found.add(front_part(mount))
    return found


def _serial_change(
    mount: Mount, change: Change, codename: str, serial: str, below: tuple[str, ...]
) -> set[Part]:
    """dists/CODENAME/snapshots/SERIAL/`below`: a serial taken or removed is every page that
    shows it; its Release family, its pages and the front page's; anything else, a listing."""
    if not SERIAL.match(serial):
        return set()
    whole, front, trace = serial_part(mount, serial), front_part(mount), trace_part(mount)
    if not below and change.structural:
        return {whole, front, trace, pool_part(mount)}
    if len(below) == 1 and below[0] in RELEASE_FAMILY and not change.is_dir:
        return {whole, front, trace}
    top = posixpath.join(DISTS, codename, SNAPSHOTS_DIR, serial)
    base_url = f"{mount.url}{serial}/{DISTS}/{quote(codename)}/"

    def url(rel: str) -> str:
        sub = rel[len(top) :].strip("/")
        return base_url + (quote(sub) + "/" if sub else "")

    if not below:  # the serial's own directory written to (not created): its page
        return {Part(PartKind.PAGE, change.rel, url(change.rel), serial)}
    return _listing_parts(change, url(change.rel), url(posixpath.dirname(change.rel)), serial)


_BY_KIND = {
    MountKind.FILES: _files,
    MountKind.SNAPSHOTS: _snapshots,
    MountKind.REPOSITORY: _repository,
    MountKind.TAGGED: _tagged,
}
