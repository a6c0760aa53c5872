"""Where a path *resolves* may be served, not only where its URL points: no I/O.

A symlink inside a root may point anywhere: outside it, at reprepro's `conf/distributions`,
at a hidden or temporary name. The server (for every data file it opens) and the generator
(for every entry it lists and every file whose contents it reads) resolve the path first and
ask `may_serve` about the result, so the URL rules in `resolve` hold for what is on disk too.
"""

from __future__ import annotations

from .model import MountKind
from .resolve import (
    DISTS,
    LOCK_NAMES,
    POOL,
    REPREPRO_INTERNALS,
    TAGGED_AREAS,
    TEMPORARY_SUFFIXES,
    TRACE_DIR,
)

Segments = tuple[str, ...]


def relative(real: str, root: str) -> Segments | None:
    """`real` (a resolved, or at least normalised, path) as segments below `root` (likewise:
    config roots are real paths, the output a normalised one); None when outside."""
    base = root.rstrip("/")
    if real == base or (not base and real == "/"):
        return ()
    if not real.startswith(base + "/"):
        return None
    return tuple(seg for seg in real[len(base) + 1 :].split("/") if seg)


def private_name(name: str) -> bool:
    """Hidden names (.git, rsync's .NAME.XXXXXX), reprepro's NAME.new, lock files."""
    return name.startswith(".") or name.endswith(TEMPORARY_SUFFIXES) or name in LOCK_NAMES


def may_serve(kind: MountKind, rel: Segments, directory: bool = False) -> bool:
    """Whether what resolves to `rel` (below the mount's root) may be served, or, for a
    `directory`, listed and walked: only what some URL of the mount could name."""
    if any(private_name(seg) for seg in rel):
        return False
    if kind is MountKind.SNAPSHOTS:
        if rel[:1] in ((DISTS,), (POOL,)):
            return directory or len(rel) > 1
        if directory:  # project/, project/trace/ and below
            shared = min(len(rel), len(TRACE_DIR))
            return shared > 0 and rel[:shared] == TRACE_DIR[:shared]
        return len(rel) > len(TRACE_DIR) and rel[: len(TRACE_DIR)] == TRACE_DIR
    if kind is MountKind.REPOSITORY:
        return not rel or rel[0] not in REPREPRO_INTERNALS
    if kind is MountKind.TAGGED:
        if directory and len(rel) <= 2:
            return True
        return len(rel) > 2 and rel[2] in TAGGED_AREAS and (directory or len(rel) > 3)
    return True  # files: the whole tree
