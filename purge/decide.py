"""Which URLs a burst of changes must purge, and in what order. Pure: the one question for the
filesystem (does a pool file exist now?) is asked through `exists`.

Stages follow `rewrite_rules.reverse.PurgeStage`: index files and other data, then the Release
family, then pages and traces, so a cache never holds a new InRelease beside an old Packages.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence

from snapfront.rewrite_rules import Archive, Mount, Rules
from snapfront.rewrite_rules.reverse import never_rewritten, purge_order

from .changes import Changes


def purge_stages(
    mounts: Sequence[Mount], output: str, burst: Iterable[Changes], exists: Callable[[str], bool]
) -> list[tuple[str, ...]]:
    """The URLs of every file a burst of changes touched, one tuple per stage in its order.

    Mapped with rules that know each snapshots mount's codenames and serials from before and
    after every change of the burst. Pool and by-hash files that exist (`exists`) are left
    out: reprepro never rewrites them, so they are new and their URL was an uncached 404."""
    burst = list(burst)
    paths = set().union(*(changed_paths(output, c) for c in burst))
    rules = Rules(mounts, output, known_archives(burst))
    new = {p for p in paths if never_rewritten(rules, p) and exists(p)}
    return purge_order(rules, paths - new)


def changed_paths(output: str, changes: Changes) -> set[str]:
    """Absolute paths: the data paths as they are, output paths joined to `output`."""
    paths = {os.path.normpath(p) for p in changes.data_paths}
    return paths | {os.path.join(output, *p.split("/")) for p in changes.output_paths}


def known_archives(burst: Iterable[Changes]) -> dict[str, Archive]:
    """Mount URL → every codename and serial any change of the burst saw, before or after."""
    known: dict[str, Archive] = {}
    for changes in burst:
        for archives in (changes.before, changes.after):
            known = _merge(known, archives)
    return known


def _merge(known: Mapping[str, Archive], more: Mapping[str, Archive]) -> dict[str, Archive]:
    merged = dict(known)
    for url, archive in more.items():
        merged[url] = union(merged[url], archive) if url in merged else archive
    return merged


def union(one: Archive, other: Archive) -> Archive:
    """The codenames of both, each with the serials either has (dates are not needed here)."""
    codenames = tuple(sorted({*one.codenames, *other.codenames}))
    serials = {
        name: one.serials.get(name, frozenset()) | other.serials.get(name, frozenset())
        for name in codenames
    }
    return Archive(codenames, serials)
