"""URL path → what answers it. The single source of truth for the URL space; no I/O.

Per mount kind (DESIGN: Mounts):
- snapshots  /P/SERIAL/dists/CODENAME/F → dists/CODENAME/snapshots/SERIAL/F
             /P/SERIAL/pool/X and /P/pool/X → pool/X;  /P/project/trace/NAME → trace
             /P/dists/CODENAME/F → dists/CODENAME/F (the live archive, never its snapshots/)
             /P/TIME/… → /P/SERIAL/… of the floor serial (rewrite_rules.timetravel)
- repository /P/X → X, reprepro internals refused
- tagged     /P/TAG/ARCHIVE/(dists|pool)/X → TAG/ARCHIVE/(dists|pool)/X
- files      /P/X → X
A URL ending in "/" is a directory and is answered by the page the generator wrote for it.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

from .model import Archive, CacheClass, Miss, MissReason, Mount, MountKind, Source, Target
from .paths import RESERVED_SEGMENT, split_path
from .timetravel import INSTANT, floor, out_of_range, parse_instant

SERIAL = re.compile(r"\d{10}\Z")
RELEASE_FAMILY = frozenset({"Release", "InRelease", "Release.gpg"})
REPREPRO_INTERNALS = frozenset({"conf", "db", "incoming", "logs", "tmp"})
TRACE_DIR = ("project", "trace")
KEYRING_NAME = "keyring.gpg"
INDEX_PAGE = "index.html"
GENERATED_NAMES = frozenset({INDEX_PAGE, "index.json", "feed.atom"})
"""File names the generator writes beside a directory's page; they answer before the root's."""
POOL = "pool"
DISTS = "dists"
SNAPSHOTS_DIR = "snapshots"
"""reprepro gensnapshot's directory: dists/CODENAME/snapshots/SERIAL/."""
BY_HASH = "by-hash"
CHANGES = "changes"
"""/P/SERIAL/changes/: the generated page of what changed since the previous serial."""
CHANGES_JSON = "changes.json"
"""/P/SERIAL/changes.json: the same JSON as /P/SERIAL/changes/index.json (no second file)."""
TAGGED_AREAS = (DISTS, POOL)
"""The only directories of a tagged basedir that are served: /P/TAG/ARCHIVE/(dists|pool)/…"""
INDEX_DIRS = frozenset({"snapshots", "by-hash", "source", "i18n", "debian-installer", "dep11"})
TEMPORARY_SUFFIXES = (".new", ".lock")
LOCK_NAMES = frozenset({"lockfile"})
"""Names never served in any segment: reprepro's NAME.new while it writes, and lock files."""


def is_index_dir(name: str) -> bool:
    """Directories below a codename that hold indexes, never codenames (they have Release too)."""
    return name in INDEX_DIRS or name.startswith(("binary-", "installer-"))


@dataclass(frozen=True)
class Redirect:
    """A permanent redirect to a canonical URL path (already percent-encoded where needed)."""

    location: str
    status: int = 301
    """301, except 302 for a timestamp's directory: its serial changes as snapshots come."""


@dataclass(frozen=True)
class Rules:
    """Everything resolving needs: the mounts, what is known of their archives, the output dir."""

    mounts: Sequence[Mount]
    output: str
    archives: Mapping[str, Archive] = field(default_factory=dict)

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.mounts, key=lambda m: len(m.url), reverse=True))
        object.__setattr__(self, "mounts", ordered)

    def archive(self, mount: Mount) -> Archive:
        return self.archives.get(mount.url, Archive())


Resolution = Target | Miss | Redirect


def mount_segments(mount: Mount) -> tuple[str, ...]:
    inner = mount.url.strip("/")
    return tuple(inner.split("/")) if inner else ()


def match_mount(rules: Rules, segments: tuple[str, ...]) -> Mount | None:
    """The mount with the longest URL prefix that covers `segments`."""
    for mount in rules.mounts:
        prefix = mount_segments(mount)
        if segments[: len(prefix)] == prefix:
            return mount
    return None


def resolve(rules: Rules, raw_path: str, now: float | None = None) -> Resolution:
    """Map a request path (as sent, percent-encoded, no query) onto what answers it.

    `now` (epoch seconds) refuses timestamp URLs in the future; None refuses none."""
    split = split_path(raw_path)
    if isinstance(split, Miss):
        return split
    segments, trailing = split
    if segments[:1] == (RESERVED_SEGMENT,):  # shadows a `-` directory under a "/" mount
        return Miss(MissReason.NOT_FOUND, "reserved for snapfront's own endpoints")
    mount = match_mount(rules, segments)
    if mount is None:
        return Miss(MissReason.NOT_FOUND, "no mount serves this path")
    rest = segments[len(mount_segments(mount)) :]
    if not rest and not trailing:
        return Redirect(mount.url)
    ctx = _Context(rules, mount, segments, rest, trailing, now)
    if not rest:
        return ctx.page()
    if mount.keyring and rest == (KEYRING_NAME,) and not trailing:
        head, name = posixpath.split(mount.keyring)
        return Target(mount, (Source(head, name),), CacheClass.SIGNED_METADATA)
    if any(seg.endswith(TEMPORARY_SUFFIXES) or seg in LOCK_NAMES for seg in rest):
        return Miss(MissReason.FORBIDDEN_NAME, "temporary or lock file", mount)
    internal = mount.kind is MountKind.REPOSITORY and rest[0] in REPREPRO_INTERNALS
    if rest[-1] in GENERATED_NAMES and not trailing and not internal:
        return ctx.generated(mount.kind in (MountKind.FILES, MountKind.REPOSITORY))
    return _BY_KIND[mount.kind](ctx)


@dataclass(frozen=True)
class _Context:
    rules: Rules
    mount: Mount
    segments: tuple[str, ...]
    rest: tuple[str, ...]
    trailing: bool
    now: float | None = None

    def page(self) -> Target:
        """The generated page of this directory URL."""
        rel = "/".join((*self.segments, INDEX_PAGE))
        source = Source(self.rules.output, rel, generated=True)
        return Target(self.mount, (source,), CacheClass.VOLATILE, directory=True)

    def data(self, relpath: Sequence[str], cache: CacheClass) -> Target:
        return Target(self.mount, (self.rooted(relpath),), cache)

    def rooted(self, relpath: Sequence[str]) -> Source:
        """A data file under the mount's root: confined to what the mount serves."""
        return Source(self.mount.root, "/".join(relpath), confined=True)

    def generated(self, fallback: bool) -> Target:
        """index.html, index.json, feed.atom: the generator's file, else (where URL and disk
        agree) one that lives in the root."""
        sources = [Source(self.rules.output, "/".join(self.segments), generated=True)]
        if fallback:
            sources.append(self.rooted(self.rest))
        return Target(self.mount, tuple(sources), CacheClass.VOLATILE)

    def trace(self, name: str) -> Target:
        """Generated trace first; one that another tool wrote under the root second."""
        generated = Source(self.rules.output, "/".join(self.segments), generated=True)
        fallback = self.rooted((*TRACE_DIR, name))
        return Target(self.mount, (generated, fallback), CacheClass.VOLATILE)

    def miss(self, reason: MissReason, message: str) -> Miss:
        return Miss(reason, message, self.mount)


def _resolve_snapshots(ctx: _Context) -> Resolution:
    rest = ctx.rest
    if rest[0] == DISTS and ctx.mount.live:
        return _resolve_live(ctx)
    if INSTANT.match(rest[0]):
        return _resolve_instant(ctx)
    if ctx.trailing:
        if rest[0] == POOL or SERIAL.match(rest[0]) or rest == TRACE_DIR:
            return _snapshot_page(ctx)
        return ctx.miss(MissReason.NOT_FOUND, "no such directory")
    if rest[:2] == TRACE_DIR and len(rest) == 3:
        return ctx.trace(rest[2])
    if rest[0] == POOL:
        return ctx.data(rest, CacheClass.IMMUTABLE)
    if not SERIAL.match(rest[0]) or len(rest) < 2:
        return ctx.miss(MissReason.NOT_FOUND, "not a snapshot URL")
    serial, area, tail = rest[0], rest[1], rest[2:]
    archive = ctx.rules.archive(ctx.mount)
    if area == CHANGES_JSON and not tail:
        if serial not in archive.all_serials():
            return _unknown_serial(ctx, serial, sorted(archive.all_serials()))
        rel = "/".join((*ctx.segments[:-1], CHANGES, "index.json"))
        source = Source(ctx.rules.output, rel, generated=True)
        return Target(ctx.mount, (source,), CacheClass.VOLATILE)
    if area == POOL and tail:
        if serial not in archive.all_serials():
            return _unknown_serial(ctx, serial, sorted(archive.all_serials()))
        return ctx.data((POOL, *tail), CacheClass.IMMUTABLE)
    if area == DISTS:
        codename, file = _split_codename(archive.codenames, tail)
        if codename is None:
            return ctx.miss(MissReason.UNKNOWN_CODENAME, "unknown codename")
        known = archive.serials.get(codename, frozenset())
        if serial not in known:
            return _unknown_serial(ctx, serial, sorted(known), codename)
        if not file:
            return ctx.miss(MissReason.NOT_FOUND, "not a file")
        signed = len(file) == 1 and file[0] in RELEASE_FAMILY
        cache = CacheClass.SIGNED_METADATA if signed else CacheClass.IMMUTABLE
        return ctx.data((DISTS, codename, SNAPSHOTS_DIR, serial, *file), cache)
    return ctx.miss(MissReason.NOT_FOUND, "not a snapshot URL")


def _snapshot_page(ctx: _Context) -> Resolution:
    rest = ctx.rest
    if rest[0] == POOL or rest == TRACE_DIR:
        return ctx.page()
    serial = rest[0]
    archive = ctx.rules.archive(ctx.mount)
    if serial not in archive.all_serials():
        return _unknown_serial(ctx, serial, sorted(archive.all_serials()))
    if len(rest) >= 2 and rest[1] == POOL:
        # One pool, rendered once: every serial's pool directory is the same page.
        prefix = ctx.segments[: len(ctx.segments) - len(rest)]
        return Redirect(_url((*prefix, POOL, *rest[2:]), trailing=True))
    if len(rest) >= 3 and rest[1] == DISTS:
        codename, _ = _split_codename(archive.codenames, rest[2:])
        if codename is None:
            return ctx.miss(MissReason.UNKNOWN_CODENAME, "unknown codename")
        if serial not in archive.serials.get(codename, frozenset()):
            return _unknown_serial(ctx, serial, sorted(archive.serials.get(codename, ())), codename)
    elif len(rest) > 2 or (len(rest) == 2 and rest[1] not in (DISTS, CHANGES)):
        return ctx.miss(MissReason.NOT_FOUND, "no such directory")
    return ctx.page()


def _resolve_live(ctx: _Context) -> Resolution:
    """/P/dists/CODENAME/… → dists/CODENAME/…: reprepro rewrites these in place (signed
    metadata) except by-hash/; a codename's snapshots/ is only served through its serials."""
    archive = ctx.rules.archive(ctx.mount)
    if len(ctx.rest) == 1:  # dists/ itself (without its "/": the server redirects)
        return ctx.page() if ctx.trailing else ctx.data(ctx.rest, CacheClass.SIGNED_METADATA)
    codename, file = _split_codename(archive.codenames, ctx.rest[1:])
    if codename is None:
        return ctx.miss(MissReason.UNKNOWN_CODENAME, "unknown codename")
    if file[:1] == (SNAPSHOTS_DIR,):
        return ctx.miss(MissReason.NOT_FOUND, "snapshots are served at /SERIAL/dists/CODENAME/")
    if ctx.trailing:
        return ctx.page()
    cache = CacheClass.IMMUTABLE if BY_HASH in file else CacheClass.SIGNED_METADATA
    return ctx.data(ctx.rest, cache)


def _resolve_instant(ctx: _Context) -> Resolution:
    """/P/TIME/… answers as /P/SERIAL/… of the floor serial: files directly (no redirect, so
    APT is happy), directories by a 302 to the serial's own page. dists files are signed
    metadata, not immutable: gc or a new snapshot moves the floor under the same URL."""
    rest, archive = ctx.rest, ctx.rules.archive(ctx.mount)
    codename = None
    if len(rest) >= 3 and rest[1] == DISTS:
        codename, _ = _split_codename(archive.codenames, rest[2:])
        if codename is None:
            return ctx.miss(MissReason.UNKNOWN_CODENAME, "unknown codename")
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
        return Redirect(_url((*prefix, *where), trailing=True), 302)
    inner = _resolve_snapshots(
        _Context(ctx.rules, ctx.mount, (*prefix, serial, *rest[1:]), (serial, *rest[1:]), False)
    )
    if isinstance(inner, Target) and rest[1] == DISTS and BY_HASH not in rest:
        return Target(inner.mount, inner.sources, CacheClass.SIGNED_METADATA)
    return inner


def _unknown_serial(ctx: _Context, serial: str, known: list[str], codename: str = "") -> Miss:
    where = f" for {codename}" if codename else ""
    listing = "\n".join(known) if known else "(none)"
    message = f"snapshot {serial} does not exist{where}; snapshots that do:\n{listing}"
    return Miss(MissReason.UNKNOWN_SERIAL, message, ctx.mount, serial, codename)


def _split_codename(
    codenames: Sequence[str], tail: tuple[str, ...]
) -> tuple[str | None, tuple[str, ...]]:
    """The longest known codename that `tail` starts with, and what follows it."""
    best: tuple[str, ...] = ()
    for name in codenames:
        parts = tuple(name.split("/"))
        if tail[: len(parts)] == parts and len(parts) > len(best):
            best = parts
    if not best:
        return None, tail
    return "/".join(best), tail[len(best) :]


def _resolve_repository(ctx: _Context) -> Resolution:
    rest = ctx.rest
    if rest and rest[0] in REPREPRO_INTERNALS:
        return ctx.miss(MissReason.FORBIDDEN_NAME, "reprepro internals are not served")
    if ctx.trailing:
        return ctx.page()
    if rest[:2] == TRACE_DIR and len(rest) == 3:
        return ctx.trace(rest[2])
    return ctx.data(rest, _archive_class(rest, dists=CacheClass.SIGNED_METADATA))


def _archive_class(rel: tuple[str, ...], dists: CacheClass) -> CacheClass:
    if rel[0] == POOL or BY_HASH in rel:
        return CacheClass.IMMUTABLE
    if rel[0] == DISTS:
        return dists
    return CacheClass.FILES


def _resolve_tagged(ctx: _Context) -> Resolution:
    rest = ctx.rest
    if len(rest) <= 2:
        return ctx.page() if ctx.trailing else ctx.miss(MissReason.NOT_FOUND, "not a file")
    if rest[2] not in TAGGED_AREAS:
        return ctx.miss(MissReason.FORBIDDEN_NAME, "only dists/ and pool/ of a tag are served")
    if ctx.trailing:
        return ctx.page()
    return ctx.data(rest, CacheClass.IMMUTABLE)


def _resolve_files(ctx: _Context) -> Resolution:
    if ctx.trailing:
        return ctx.page()
    return ctx.data(ctx.rest, CacheClass.FILES)


def _url(segments: Sequence[str], trailing: bool) -> str:
    path = "/" + "/".join(quote(seg, safe="+~@:,=") for seg in segments)
    return path + "/" if trailing and segments else path


_BY_KIND = {
    MountKind.SNAPSHOTS: _resolve_snapshots,
    MountKind.REPOSITORY: _resolve_repository,
    MountKind.TAGGED: _resolve_tagged,
    MountKind.FILES: _resolve_files,
}
