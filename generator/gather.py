"""Gather: a mount's parts (generator.plan) → the Page, Feed and Trace values they consist of.

A full build is the union of `full_parts`; the watcher passes only the parts a change touched.
The trace and front pages come first and the shared pool last, so what build tools and APT
read first is fresh first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from snapfront.rewrite_rules import Archive, Mount, MountKind

from . import basedir_pages, files_pages, snapshot_pages
from .pages import Output, Site
from .plan import Part, PartKind, normalize

Producer = Callable[[Mount, Archive, Site, Part], Iterator[Output]]
Planner = Callable[[Mount, Archive, Site], set[Part]]

_KINDS: dict[MountKind, tuple[Planner, Producer]] = {
    MountKind.FILES: (files_pages.full_parts, files_pages.outputs),
    MountKind.SNAPSHOTS: (snapshot_pages.full_parts, snapshot_pages.outputs),
    MountKind.REPOSITORY: (basedir_pages.full_parts, basedir_pages.repository_outputs),
    MountKind.TAGGED: (basedir_pages.full_parts, basedir_pages.tagged_outputs),
}
_ORDER = [
    PartKind.TRACE,
    PartKind.PAGE,
    PartKind.LIVE,
    PartKind.FEED,
    PartKind.SERIAL,
    PartKind.TREE,
]


def full_parts(mount: Mount, archive: Archive, site: Site) -> frozenset[Part]:
    return frozenset(_KINDS[mount.kind][0](mount, archive, site))


def expand(mount: Mount, archive: Archive, site: Site, parts: Iterable[Part]) -> list[Part]:
    """The parts to produce, in order: MOUNT becomes every part; covered parts drop out.
    CODENAMES is the builder's to resolve (it alone knows the archive before the change)."""
    found = normalize(parts)
    if any(p.kind is PartKind.MOUNT for p in found):
        found = full_parts(mount, archive, site)
    wanted = [p for p in found if p.kind in _ORDER]
    return sorted(wanted, key=_urgency)


def _urgency(part: Part) -> tuple:
    """Trace and pages before feeds and trees, the pool last; among pages the deepest first:
    the page that lists a changed file is served fresh before its parents are."""
    depth = part.path.count("/") + bool(part.path)
    return (_ORDER.index(part.kind), part.path.startswith("pool"), -depth, part)


def outputs(mount: Mount, archive: Archive, site: Site, parts: Iterable[Part]) -> Iterator[Output]:
    produce = _KINDS[mount.kind][1]
    for part in expand(mount, archive, site, parts):
        yield from produce(mount, archive, site, part)


def mount_outputs(mount: Mount, archive: Archive, site: Site) -> Iterator[Output]:
    yield from outputs(mount, archive, site, full_parts(mount, archive, site))
