"""The URLs of a snapshots mount: serials, the live archive, timestamps; no I/O.

/P/SERIAL/dists/CODENAME/F → dists/CODENAME/snapshots/SERIAL/F, also spelt as it lies on disk,
/P/dists/CODENAME/snapshots/SERIAL/F (what Tails' apt-snapshots-expiry reads; served as the
first spelling, with or without the live archive); /P/SERIAL/pool/X and /P/pool/X → pool/X;
/P/dists/CODENAME/F → dists/CODENAME/F (the live archive); /P/TIME/… → /P/SERIAL/… of the
floor serial (rewrite_rules.timetravel).
"""

from __future__ import annotations

from collections.abc import Sequence

from .context import Context, Redirect, Resolution, url
from .model import Archive, CacheClass, Miss, MissReason, Source, Target
from .names import (
    BY_HASH,
    CHANGES,
    CHANGES_JSON,
    DISTS,
    INDEX_JSON,
    POOL,
    RELEASE_FAMILY,
    SERIAL,
    SNAPSHOTS_DIR,
    TRACE_DIR,
    split_codename,
)
from .timetravel import INSTANT, floor, out_of_range, parse_instant


def resolve_snapshots(ctx: Context) -> Resolution:
    rest = ctx.rest
    if rest[0] == DISTS:
        return _resolve_dists(ctx)
    if INSTANT.match(rest[0]):
        return _resolve_instant(ctx)
    if ctx.trailing:
        return _snapshot_page(ctx)
    if rest[:2] == TRACE_DIR and len(rest) == 3:
        return ctx.trace(rest[2])
    if rest[0] == POOL:
        return ctx.data(rest, CacheClass.IMMUTABLE)
    if SERIAL.match(rest[0]) and len(rest) >= 2:
        return _resolve_serial(ctx, rest[0], rest[1], rest[2:])
    return ctx.miss(MissReason.NOT_FOUND, "not a snapshot URL")


def _resolve_serial(ctx: Context, serial: str, area: str, tail: tuple[str, ...]) -> Resolution:
    """/P/SERIAL/dists/CODENAME/F, /P/SERIAL/pool/X (the one pool) and /P/SERIAL/changes.json
    (the changes page's JSON, generated: no second file)."""
    archive = ctx.rules.archive(ctx.mount)
    if area == DISTS:
        return _serial_file(ctx, archive, serial, tail)
    changes, pool = area == CHANGES_JSON and not tail, area == POOL and bool(tail)
    if not (changes or pool):
        return ctx.miss(MissReason.NOT_FOUND, "not a snapshot URL")
    if serial not in archive.all_serials():
        return _unknown_serial(ctx, serial, sorted(archive.all_serials()))
    if pool:
        return ctx.data((POOL, *tail), CacheClass.IMMUTABLE)
    rel = "/".join((*ctx.segments[:-1], CHANGES, INDEX_JSON))
    source = Source(ctx.rules.output, rel, generated=True)
    return Target(ctx.mount, (source,), CacheClass.VOLATILE)


def _serial_file(ctx: Context, archive: Archive, serial: str, tail: tuple[str, ...]) -> Resolution:
    """/P/SERIAL/dists/CODENAME/F → dists/CODENAME/snapshots/SERIAL/F: the Release family is
    signed metadata (a bump re-signs it in place), every other file immutable."""
    codename, file = split_codename(archive.codenames, tail)
    if codename is None:
        return _unknown_codename(ctx, archive.codenames, tail)
    known = archive.serials.get(codename, frozenset())
    if serial not in known:
        return _unknown_serial(ctx, serial, sorted(known), codename)
    if not file:
        return ctx.miss(MissReason.NOT_FOUND, "not a file")
    signed = len(file) == 1 and file[0] in RELEASE_FAMILY
    cache = CacheClass.SIGNED_METADATA if signed else CacheClass.IMMUTABLE
    return ctx.data((DISTS, codename, SNAPSHOTS_DIR, serial, *file), cache)


def _snapshot_page(ctx: Context) -> Resolution:
    """A directory: the pool, the trace directory, or a serial's own pages."""
    rest = ctx.rest
    if rest[0] == POOL or rest == TRACE_DIR:
        return ctx.page()
    if not SERIAL.match(rest[0]):
        return ctx.miss(MissReason.NOT_FOUND, "no such directory")
    serial = rest[0]
    archive = ctx.rules.archive(ctx.mount)
    if serial not in archive.all_serials():
        return _unknown_serial(ctx, serial, sorted(archive.all_serials()))
    if len(rest) >= 2 and rest[1] == POOL:
        # One pool, rendered once: every serial's pool directory is the same page.
        prefix = ctx.segments[: len(ctx.segments) - len(rest)]
        return Redirect(url((*prefix, POOL, *rest[2:]), trailing=True))
    if len(rest) >= 3 and rest[1] == DISTS:
        codename, _ = split_codename(archive.codenames, rest[2:])
        if codename is None:
            return _unknown_codename(ctx, archive.codenames, rest[2:])
        if serial not in archive.serials.get(codename, frozenset()):
            return _unknown_serial(ctx, serial, sorted(archive.serials.get(codename, ())), codename)
    elif len(rest) > 2 or (len(rest) == 2 and rest[1] not in (DISTS, CHANGES)):
        return ctx.miss(MissReason.NOT_FOUND, "no such directory")
    return ctx.page()


def _resolve_live(ctx: Context) -> Resolution:
    """/P/dists/CODENAME/… → dists/CODENAME/…: reprepro rewrites these in place (signed
    metadata) except by-hash/; a codename's snapshots/ is only served through its serials."""
    archive = ctx.rules.archive(ctx.mount)
    if len(ctx.rest) == 1:  # dists/ itself (without its "/": the server redirects)
        return ctx.page() if ctx.trailing else ctx.data(ctx.rest, CacheClass.SIGNED_METADATA)
    codename, file = split_codename(archive.codenames, ctx.rest[1:])
    if codename is None:
        return _unknown_codename(ctx, archive.codenames, ctx.rest[1:])
    if file[:1] == (SNAPSHOTS_DIR,):  # without a serial: the serials are listed at /P/
        return ctx.miss(MissReason.NOT_FOUND, "snapshots are served at /SERIAL/dists/CODENAME/")
    if ctx.trailing:
        return ctx.page()
    cache = CacheClass.IMMUTABLE if BY_HASH in file else CacheClass.SIGNED_METADATA
    return ctx.data(ctx.rest, cache)


def _resolve_dists(ctx: Context) -> Resolution:
    """/P/dists/…: a snapshot spelt as it lies on disk, else the live archive (none with
    `live = false`; the on-disk spelling is a snapshot's, so it is served either way)."""
    archive = ctx.rules.archive(ctx.mount)
    codename, file = split_codename(archive.codenames, ctx.rest[1:])
    if codename is None and SNAPSHOTS_DIR in ctx.rest[2:]:  # a codename added since?
        return _unknown_codename(ctx, archive.codenames, ctx.rest[1:])
    if codename and len(file) >= 2 and file[0] == SNAPSHOTS_DIR and SERIAL.match(file[1]):
        return _resolve_on_disk(ctx, codename, file[1], file[2:])
    if ctx.mount.live:
        return _resolve_live(ctx)
    return ctx.miss(MissReason.NOT_FOUND, "the live archive is not served (live = false)")


def _resolve_on_disk(ctx: Context, codename: str, serial: str, file: tuple[str, ...]) -> Resolution:
    """/P/dists/CODENAME/snapshots/SERIAL/F answers as /P/SERIAL/dists/CODENAME/F: the same
    file, so the same validators and class (and the purger, asking `resolve`, finds both
    spellings); a directory is a 301 to the serial's own page, which links relatively."""
    prefix = ctx.segments[: len(ctx.segments) - len(ctx.rest)]
    served = (serial, DISTS, *codename.split("/"), *file)
    inner = resolve_snapshots(
        Context(ctx.rules, ctx.mount, (*prefix, *served), served, ctx.trailing, ctx.now)
    )
    if isinstance(inner, Target) and ctx.trailing:
        return Redirect(url((*prefix, *served), trailing=True))
    return inner


def _resolve_instant(ctx: Context) -> Resolution:
    """/P/TIME/… answers as /P/SERIAL/… of the floor serial: files directly (no redirect, so
    APT is happy), directories by a 302 to the serial's own page. dists files are signed
    metadata, not immutable: gc or a new snapshot moves the floor under the same URL."""
    rest, archive = ctx.rest, ctx.rules.archive(ctx.mount)
    codename = None
    if len(rest) >= 3 and rest[1] == DISTS:
        codename, _ = split_codename(archive.codenames, rest[2:])
        if codename is None:
            return _unknown_codename(ctx, archive.codenames, rest[2:])
    instant = parse_instant(rest[0])
    future = instant is not None and ctx.now is not None and instant > ctx.now
    serial = None if instant is None or future else floor(archive, codename, instant)
    if serial is None:
        message = out_of_range(archive, codename, rest[0], ctx.now)
        return Miss(MissReason.NO_SNAPSHOT_AT, message, ctx.mount)
    prefix = ctx.segments[: len(ctx.segments) - len(rest)]
    if ctx.trailing or len(rest) == 1:
        tail = rest[1:] if rest[1:2] != (POOL,) else rest[2:]
        where = (serial, *tail) if rest[1:2] != (POOL,) else (POOL, *tail)
        return Redirect(url((*prefix, *where), trailing=True), 302)
    inner = resolve_snapshots(
        Context(ctx.rules, ctx.mount, (*prefix, serial, *rest[1:]), (serial, *rest[1:]), False)
    )
    if isinstance(inner, Target) and rest[1] == DISTS and BY_HASH not in rest:
        return Target(inner.mount, inner.sources, CacheClass.SIGNED_METADATA)
    return inner


def _unknown_serial(ctx: Context, serial: str, known: list[str], codename: str = "") -> Miss:
    where = f" for {codename}" if codename else ""
    listing = "\n".join(known) if known else "(none)"
    message = f"snapshot {serial} does not exist{where}; snapshots that do:\n{listing}"
    return Miss(MissReason.UNKNOWN_SERIAL, message, ctx.mount, serial, codename)


def _unknown_codename(ctx: Context, codenames: Sequence[str], tail: tuple[str, ...]) -> Miss:
    """As an unknown serial lists the serials, an unknown codename lists the codenames."""
    asked = f" {tail[0]}" if tail else ""
    listing = "\n".join(sorted(codenames)) if codenames else "(none)"
    message = f"unknown codename{asked}; codenames that exist:\n{listing}"
    return Miss(MissReason.UNKNOWN_CODENAME, message, ctx.mount)
