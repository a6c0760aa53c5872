"""Pages and the trace of a `snapshots` mount (one reprepro basedir), one part at a time.

/P/ lists the serials; /P/SERIAL/ and everything under it is one serial's part; the shared
pool is rendered once, at /P/pool/; the trace names the newest complete, signed serial.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from urllib.parse import quote

from snapfront.basedir.days import days_left
from snapfront.basedir.release import complete_serials, newest_complete_serial
from snapfront.diffs.changes import compare_serials, previous_serial
from snapfront.rewrite_rules import Archive, Mount
from snapfront.rewrite_rules.names import split_codename
from snapfront.rewrite_rules.resolve import CHANGES, DISTS, POOL, SNAPSHOTS_DIR, TRACE_DIR

from . import live_pages
from .model import Link, Page, Row, SerialRow, Suite, validity
from .pages import Output, Site, Trace, host, keyring_link, page, suite, tree_pages
from .plan import (
    Part,
    PartKind,
    front_part,
    live_part,
    pool_part,
    serial_part,
    trace_part,
)
from .trace import snapshots_trace


def full_parts(mount: Mount, archive: Archive, site: Site) -> set[Part]:
    parts = {front_part(mount), trace_part(mount), pool_part(mount)}
    if mount.live:
        parts.add(live_part(mount))
    return parts | {serial_part(mount, serial) for serial in archive.all_serials()}


def outputs(mount: Mount, archive: Archive, site: Site, part: Part) -> Iterator[Output]:
    if part.kind is PartKind.TRACE:
        yield from _trace(mount, archive, site)
    elif part.kind is PartKind.SERIAL:
        yield from _serial(mount, archive, site, part.path)
    elif part.kind is PartKind.PAGE and not part.path:
        yield _front(mount, archive, site)
    elif part.kind is PartKind.PAGE and part.serial and part.path == CHANGES:
        if _codenames(archive, part.serial):
            yield _changes(mount, archive, site, part.serial)
    elif part.kind is PartKind.LIVE:
        yield from live_pages.outputs(mount, archive, site)
    elif part.kind in (PartKind.PAGE, PartKind.TREE):
        yield from _listings(mount, archive, site, part)


def _codenames(archive: Archive, serial: str) -> list[str]:
    return sorted(c for c in archive.codenames if serial in archive.serials.get(c, ()))


def _suites(mount: Mount, site: Site, serial: str, codenames: list[str]) -> list[Suite]:
    suites = []
    for codename in codenames:
        directory = os.path.join(mount.root, DISTS, codename, SNAPSHOTS_DIR, serial)
        href = f"{mount.url}{serial}/{DISTS}/{quote(codename)}/"
        found = suite(mount, site, directory, f"{mount.url}{serial}/", href)
        if found is not None:
            suites.append(found)
    return suites


def _front(mount: Mount, archive: Archive, site: Site) -> Page:
    """/P/: every serial, newest first; "newest" marks the one the trace names, "incomplete"
    a serial that some codename lacks or has unsigned (rewrite_rules.complete over signatures
    present: a stat or two per snapshot, where gpgv on every one would cost ~6 ms each)."""
    traced = newest_complete_serial(mount.root, archive, mount.keyring)
    newest = traced[0] if traced else None
    complete = set(complete_serials(mount.root, archive, None))
    rows = []
    for serial in sorted(archive.all_serials(), reverse=True):
        codenames = _codenames(archive, serial)
        suites = _suites(mount, site, serial, codenames)
        row = _serial_row(serial, codenames, suites, site, serial in complete)
        row = replace(row, newest=serial == newest)
        rows.append(_with_counts(mount, archive, site, row))
    front = [Row("pool/", "pool/", True)]
    if mount.live:
        front.insert(0, Row("dists/", "dists/", True))
    if os.path.isdir(os.path.join(mount.root, *TRACE_DIR)) or archive.codenames:
        front.append(Row("project/trace/", "project/trace/", True))
    live = live_pages.live_suites(mount, archive, site)
    return page(
        mount.url,
        serials=tuple(rows),
        rows=tuple(front),
        suites=live,
        snapshot_conf=live_pages.snapshot_conf(site, live),
        keyring=keyring_link(mount),
        note=(
            "One directory per snapshot serial (YYYYMMDDNN); the pool is shared."
            + (LIVE_NOTE if mount.live else "")
        ),
    )


LIVE_NOTE = (
    " dists/ is the live archive; /TIME/ (YYYYMMDDTHHMMSSZ or YYYYMMDD, UTC) is the newest"
    " snapshot taken at or before that time."
)


def _serial(mount: Mount, archive: Archive, site: Site, serial: str) -> Iterator[Page]:
    """/P/SERIAL/, its dists/ and each codename's tree; nothing once the serial is gone."""
    codenames = _codenames(archive, serial)
    if not codenames:
        return
    suites = _suites(mount, site, serial, codenames)
    url = f"{mount.url}{serial}/"
    expires = any(s.distribution.valid_until is not None for s in suites)
    yield page(
        url,
        suites=tuple(suites),
        rows=(Row("dists/", "dists/", True), Row("pool/", "../pool/", True),
              Row(f"{CHANGES}/", f"{CHANGES}/", True)),
        keyring=keyring_link(mount),
        keep=f"snapfront snapshot bump {mount.url} {serial} --days N" if expires else None,
    )  # fmt: skip
    yield _changes(mount, archive, site, serial)
    yield page(f"{url}dists/", rows=tuple(Row(c + "/", quote(c) + "/", True) for c in codenames))
    for codename in codenames:
        top = os.path.join(DISTS, codename, SNAPSHOTS_DIR, serial)
        own = tuple(s for s in suites if s.distribution.codename == codename)
        for rel, listing_page in tree_pages(site, mount, top, f"{url}dists/{quote(codename)}/"):
            yield replace(listing_page, suites=own) if rel == top else listing_page


def _listings(mount: Mount, archive: Archive, site: Site, part: Part) -> Iterator[Page]:
    """A pool directory, or a directory inside one serial of one codename (and below it)."""
    recursive = part.kind is PartKind.TREE
    top = codename = None
    if part.serial:
        codename, _ = split_codename(archive.codenames, part.path.split("/")[1:])
        if codename is None or part.serial not in archive.serials.get(codename, ()):
            return  # the serial is gone: its SERIAL part prunes what is left
        top = os.path.join(DISTS, codename, SNAPSHOTS_DIR, part.serial)
    elif part.path.split("/", 1)[0] != POOL:
        return
    for rel, listing_page in tree_pages(site, mount, part.path, part.url, False, recursive):
        if codename is not None and rel == top:
            own = _suites(mount, site, part.serial, [codename])
            listing_page = replace(listing_page, suites=tuple(own))
        yield listing_page


def _serial_row(
    serial: str, codenames: list[str], suites: list[Suite], site: Site, complete: bool
) -> SerialRow:
    dates = [s.distribution.date for s in suites if s.distribution.date]
    limits = [s.distribution.valid_until for s in suites if s.distribution.valid_until]
    until = min(limits) if limits else None
    return SerialRow(
        serial,
        f"{serial}/",
        max(dates) if dates else None,
        tuple(sorted(codenames)),
        until,
        validity(until, site.today, site.expiring_within),
        complete,
        days_left(until, site.today),
    )


def _changes(mount: Mount, archive: Archive, site: Site, serial: str) -> Page:
    """/P/SERIAL/changes/: each codename, component and architecture against the previous
    serial (the first serial has none: its page says so)."""
    previous = previous_serial(archive, serial)
    comparison = compare_serials(site.indexes, mount, archive, previous, serial)
    url = f"{mount.url}{serial}/{CHANGES}/"
    if previous is None:
        note = "The first snapshot: there is no earlier one to compare it with."
    else:
        note = f"Packages added, removed, upgraded and downgraded since {previous}."
    link = Link(previous, f"../../{previous}/{CHANGES}/") if previous else None
    codenames = [c for c, serials in archive.serials.items() if serial in serials]
    dates = [s.distribution.date for s in _suites(mount, site, serial, codenames)]
    date = max((d for d in dates if d is not None), default=None)  # its Last-Modified
    found = page(url, changes=comparison, previous=link, note=note, date=date)
    return replace(found, title=f"Changes in {mount.url}{serial}/")


def _with_counts(mount: Mount, archive: Archive, site: Site, row: SerialRow) -> SerialRow:
    """The archive page's row with "+3 -1 ^5 v0" against the previous serial, linking to the
    changes page (every serial has one; the first shows no counts)."""
    previous = previous_serial(archive, row.serial)
    counts = None
    if previous is not None:
        counts = compare_serials(site.indexes, mount, archive, previous, row.serial).counts
    return replace(row, changes=counts, changes_href=f"{row.serial}/{CHANGES}/")


def _trace(mount: Mount, archive: Archive, site: Site) -> Iterator[Output]:
    """The trace file and the project/trace/ page listing it beside any foreign trace files."""
    trace = snapshots_trace(mount.root, archive, mount.keyring, host(site), site.version)
    trace_url = f"{mount.url}{'/'.join(TRACE_DIR)}/"
    names = {mount.trace} if trace is not None else set()
    found = site.scan(os.path.join(mount.root, *TRACE_DIR), mount)
    names |= {e.name for e in found if not e.is_dir}
    yield page(trace_url, rows=tuple(Row(n, quote(n), False) for n in sorted(names)))
    if trace is not None:
        yield Trace(trace_url + mount.trace, trace)
