"""URL path → what answers it. The single source of truth for the URL space; no I/O.

Per mount kind (docs/urls.md: mount kinds):
- snapshots  /P/SERIAL/dists/CODENAME/F → dists/CODENAME/snapshots/SERIAL/F
             /P/SERIAL/pool/X and /P/pool/X → pool/X;  /P/project/trace/NAME → trace
             /P/dists/CODENAME/F → dists/CODENAME/F (the live archive, never its snapshots/)
             /P/TIME/… → /P/SERIAL/… of the floor serial (rewrite_rules.timetravel)
             (these in rewrite_rules.snapshot_urls)
- repository /P/X → X, reprepro internals refused
- tagged     /P/TAG/ARCHIVE/(dists|pool)/X → TAG/ARCHIVE/(dists|pool)/X

- no mount at "/": /, /index.html, /index.json → the generated front page (rewrite_rules.front)
- files      /P/X → X;  /P/DIR/SHA256SUMS → the root's, else the generated one
A URL ending in "/" is a directory and is answered by the page the generator wrote for it.
A URL with a run of "/" that would otherwise be valid is a 301 to its single-slash spelling.
"""

from __future__ import annotations

import posixpath

from .context import Context, Redirect, Resolution, Rules, match_mount, mount_segments
from .front import resolve_front
from .model import CacheClass, Miss, MissReason, MountKind, Source, Target
from .names import (
    BY_HASH,
    CHANGES,
    CHANGES_JSON,
    CHECKSUMS,
    CHECKSUMS_SIGNATURES,
    DISTS,
    GENERATED_NAMES,
    INDEX_DIRS,
    INDEX_PAGE,
    KEYRING_NAME,
    LOCK_NAMES,
    POOL,
    RELEASE_FAMILY,
    REPREPRO_INTERNALS,
    SERIAL,
    SNAPSHOTS_DIR,
    TAGGED_AREAS,
    TEMPORARY_SUFFIXES,
    TRACE_DIR,
    is_index_dir,
)
from .paths import RESERVED_SEGMENT, merge_slashes, split_path
from .snapshot_urls import resolve_snapshots
from .static import STATIC_SEGMENT, resolve_static

__all__ = [  # the names other modules take from here (rewrite_rules.names has them too)
    "BY_HASH", "CHANGES", "CHANGES_JSON", "CHECKSUMS",
    "CHECKSUMS_SIGNATURES", "DISTS", "GENERATED_NAMES", "INDEX_DIRS",
    "INDEX_PAGE", "KEYRING_NAME", "LOCK_NAMES", "POOL", "RELEASE_FAMILY",
    "REPREPRO_INTERNALS", "SERIAL", "SNAPSHOTS_DIR", "TAGGED_AREAS", "TEMPORARY_SUFFIXES",
    "TRACE_DIR", "Redirect", "Resolution", "Rules", "is_index_dir", "match_mount",
    "mount_segments", "resolve",
]  # fmt: skip


def resolve(rules: Rules, raw_path: str, now: float | None = None) -> Resolution:
    """Map a request path (as sent, percent-encoded, no query) onto what answers it.

    `now` (epoch seconds) refuses timestamp URLs in the future; None refuses none."""
    split = split_path(raw_path)
    if isinstance(split, Miss):
        return split
    merged = merge_slashes(raw_path)
    if merged is not None:  # only once the path is known to be harmless: it is echoed
        return Redirect(merged)
    segments, trailing = split
    if segments[:1] == (RESERVED_SEGMENT,):  # shadows a `-` directory under a "/" mount
        if segments[1:2] == (STATIC_SEGMENT,):
            return resolve_static(rules, segments[2:], trailing)
        return Miss(MissReason.NOT_FOUND, "reserved for snapfront's own endpoints")
    mount = match_mount(rules, segments)
    if mount is None:
        return resolve_front(rules, segments, trailing) or Miss(
            MissReason.NOT_FOUND, "no mount serves this path"
        )
    rest = segments[len(mount_segments(mount)) :]
    if not rest and not trailing:
        return Redirect(mount.url)
    ctx = Context(rules, mount, segments, rest, trailing, now)
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


def _resolve_repository(ctx: Context) -> Resolution:
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


def _resolve_tagged(ctx: Context) -> Resolution:
    rest = ctx.rest
    if len(rest) <= 2:
        return ctx.page() if ctx.trailing else ctx.miss(MissReason.NOT_FOUND, "not a file")
    if rest[2] not in TAGGED_AREAS:
        return ctx.miss(MissReason.FORBIDDEN_NAME, "only dists/ and pool/ of a tag are served")
    if ctx.trailing:
        return ctx.page()
    return ctx.data(rest, CacheClass.IMMUTABLE)


def _resolve_files(ctx: Context) -> Resolution:
    if ctx.trailing:
        return ctx.page()
    if ctx.rest[-1] == CHECKSUMS:
        return ctx.checksums()
    return ctx.data(ctx.rest, CacheClass.FILES)


_BY_KIND = {
    MountKind.SNAPSHOTS: resolve_snapshots,
    MountKind.REPOSITORY: _resolve_repository,
    MountKind.TAGGED: _resolve_tagged,
    MountKind.FILES: _resolve_files,
}
