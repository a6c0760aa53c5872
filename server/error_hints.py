"""What a 4xx page can point at: the nearest directory page above the URL, and what exists
instead of an unknown serial or codename. Pure but for a stat per ancestor page; only error
answers for browsers ask (server.error_pages)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from snapfront.rewrite_rules import Archive, Miss, MissReason, Mount, Rules, Target, resolve
from snapfront.rewrite_rules.context import ancestors, mount_segments, url
from snapfront.rewrite_rules.names import DISTS, SERIAL
from snapfront.rewrite_rules.paths import split_path

MAX_DEPTH = 24
"""Ancestors looked at, from the top: a path of 2,000 segments costs no more than this."""
SHOWN = 300
"""Characters of the requested path a page repeats."""


@dataclass(frozen=True)
class Link:
    label: str
    href: str | None  # None: shown as text (no page there)


@dataclass(frozen=True)
class Hint:
    """A list of what exists where the URL named something that does not."""

    heading: str
    links: tuple[Link, ...]


def segments_of(raw: str) -> tuple[str, ...]:
    split = split_path(raw)
    return () if isinstance(split, Miss) else split[0]


def shown_path(raw: str, limit: int = SHOWN) -> str:
    """The path as a person reads it: decoded where it is a valid path, else as sent; cut."""
    split = split_path(raw)
    if not isinstance(split, Miss):
        segments, trailing = split
        raw = "/" + "/".join(segments) + ("/" if trailing and segments else "")
    return raw if len(raw) <= limit else raw[:limit] + "…"


def breadcrumbs(rules: Rules, raw: str, now: float) -> tuple[Link, ...]:
    """ "/" and each ancestor of `raw` down to the nearest one with a generated page; an
    ancestor without a page of its own is shown unlinked, so every link answers 200."""
    segments = segments_of(raw)[:MAX_DEPTH]
    above = ancestors(url(segments, trailing=True))[: max(len(segments), 1)]  # not the URL
    crumbs: list[Link] = []
    nearest = 1
    for depth, (label, href) in enumerate(above, 1):
        exists = has_page(rules, href, now)
        crumbs.append(Link(label, href if exists else None))
        if exists:
            nearest = depth
    return tuple(crumbs[:nearest])


def has_page(rules: Rules, href: str, now: float) -> bool:
    """True when `href` (a directory URL) is answered by a page the generator wrote."""
    found = resolve(rules, href, now)
    if not isinstance(found, Target) or not found.directory:
        return False
    source = found.sources[0]
    return os.path.isfile(os.path.join(source.base, source.relpath))


def hint(rules: Rules, raw: str, now: float) -> Hint | None:
    """The serials of the archive for an unknown serial or a time before any snapshot, its
    codenames for an unknown codename; None for any other answer."""
    found = resolve(rules, raw, now)
    if not isinstance(found, Miss) or found.mount is None:
        return None
    mount, archive = found.mount, rules.archive(found.mount)
    if found.reason is MissReason.UNKNOWN_CODENAME:
        rest = segments_of(raw)[len(mount_segments(mount)) :]
        serial = rest[0] if rest and SERIAL.match(rest[0]) else ""
        links = tuple(_codename(mount, archive, serial, c) for c in archive.codenames)
        return Hint("Codenames that exist", links)
    if found.reason in (MissReason.UNKNOWN_SERIAL, MissReason.NO_SNAPSHOT_AT):
        codename = found.codename
        known = archive.serials.get(codename, ()) if codename else archive.all_serials()
        where = f" for {codename}" if codename else ""
        links = tuple(_serial(mount, s, codename) for s in sorted(known, reverse=True))
        return Hint(f"Snapshots that exist{where}", links)
    return None


def _serial(mount: Mount, serial: str, codename: str) -> Link:
    """The serial's page, or its codename's page when the URL named a codename."""
    tail = (DISTS, *codename.split("/")) if codename else ()
    return Link(serial, url((*mount_segments(mount), serial, *tail), trailing=True))


def _codename(mount: Mount, archive: Archive, serial: str, codename: str) -> Link:
    """The codename in the URL's serial where it has one, else in the live archive."""
    prefix, names = mount_segments(mount), tuple(codename.split("/"))
    if serial and serial in archive.serials.get(codename, ()):
        return Link(codename, url((*prefix, serial, DISTS, *names), trailing=True))
    if mount.live:
        return Link(codename, url((*prefix, DISTS, *names), trailing=True))
    return Link(codename, None)
