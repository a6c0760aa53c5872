"""Comparisons: a serial against the previous one (the changes page), any two serials of a
snapshots mount, or two suites of a repository mount (`snapfront diff`).

A `Comparison` holds one `ScopeDelta` per codename, component and architecture (and source)
found on either side; a scope only on one side counts as all added or all removed. Sides
whose Release cannot be read (a serial still being written, a codename missing from one of
the two serials) are named in `unreadable`, not guessed at. Values are frozen: a page is a
Comparison printed, and its digest is stable.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from snapfront.basedir.release import snapshot_dir
from snapfront.rewrite_rules import Archive, Mount
from snapfront.rewrite_rules.resolve import DISTS

from .cache import IndexCache
from .compare import Counts, Delta, Kind
from .indexes import IndexFile, Scope

Side = Mapping[str, tuple[IndexFile, ...] | None]
"""codename → the indexes its Release lists (None: no readable Release)."""


@dataclass(frozen=True)
class ScopeDelta:
    scope: Scope
    delta: Delta


@dataclass(frozen=True)
class Comparison:
    old: str | None  # a serial or a suite; None: the first serial, nothing to compare with
    new: str
    scopes: tuple[ScopeDelta, ...] = ()
    unreadable: tuple[str, ...] = ()  # "bookworm in 2026112601": no readable Release there

    @property
    def counts(self) -> Counts:
        total = Counts()
        for scope in self.scopes:
            total += scope.delta.counts
        return total

    @property
    def changed(self) -> tuple[ScopeDelta, ...]:
        return tuple(s for s in self.scopes if s.delta)


def previous_serial(archive: Archive, serial: str) -> str | None:
    earlier = [s for s in archive.all_serials() if s < serial]
    return max(earlier) if earlier else None


def codenames_of(archive: Archive, serial: str) -> list[str]:
    return sorted(c for c in archive.codenames if serial in archive.serials.get(c, ()))


def serial_side(cache: IndexCache, mount: Mount, archive: Archive, serial: str) -> Side:
    return {
        codename: cache.indexes(
            snapshot_dir(mount.root, codename, serial), mount.root, mount.kind, codename
        )
        for codename in codenames_of(archive, serial)
    }


def suite_side(cache: IndexCache, mount: Mount, codename: str) -> Side:
    directory = os.path.join(mount.root, DISTS, codename)
    return {codename: cache.indexes(directory, mount.root, mount.kind, codename)}


def compare_serials(
    cache: IndexCache, mount: Mount, archive: Archive, old: str | None, new: str
) -> Comparison:
    """`new` against `old` (None: the first serial, an empty comparison)."""
    if old is None:
        return Comparison(None, new)
    before, after = serial_side(cache, mount, archive, old), serial_side(cache, mount, archive, new)
    return compare_sides(cache, mount, before, after, old, new)


def compare_suites(cache: IndexCache, mount: Mount, old: str, new: str) -> Comparison:
    """Suite `new` against suite `old` of a repository: their scopes pair by component and
    architecture, and are shown under the new suite's codename."""
    before = _renamed(suite_side(cache, mount, old), new)
    return compare_sides(cache, mount, before, suite_side(cache, mount, new), old, new)


def _renamed(side: Side, codename: str) -> dict[str, tuple[IndexFile, ...] | None]:
    renamed: dict[str, tuple[IndexFile, ...] | None] = {}
    for indexes in side.values():
        renamed[codename] = (
            None
            if indexes is None
            else tuple(
                IndexFile(
                    Scope(codename, i.scope.component, i.scope.architecture), i.key, i.variants
                )
                for i in indexes
            )
        )
    return renamed


def compare_sides(
    cache: IndexCache, mount: Mount, old: Side, new: Side, old_name: str, new_name: str
) -> Comparison:
    scopes: list[ScopeDelta] = []
    unreadable: list[str] = []
    for codename in sorted(set(old) | set(new)):
        before, after = old.get(codename, ()), new.get(codename, ())
        for name, side in ((old_name, before), (new_name, after)):
            if side is None:
                unreadable.append(f"{codename} in {name}")
        if before is None or after is None:
            continue
        pairs = _pair(before, after)
        for scope in sorted(pairs):
            a, b = pairs[scope]
            delta = cache.delta(a, b, mount.root, mount.kind)
            if delta is None:
                unreadable.append(f"{label(scope)} in {old_name} or {new_name}")
                continue
            scopes.append(ScopeDelta(scope, delta))
    return Comparison(old_name, new_name, tuple(scopes), tuple(unreadable))


def _pair(
    old: Iterable[IndexFile], new: Iterable[IndexFile]
) -> dict[Scope, tuple[IndexFile | None, IndexFile | None]]:
    pairs: dict[Scope, tuple[IndexFile | None, IndexFile | None]] = {}
    for index in old:
        pairs[index.scope] = (index, None)
    for index in new:
        pairs[index.scope] = (pairs.get(index.scope, (None, None))[0], index)
    return pairs


def _label(scope: Scope) -> str:
    return f"{scope.codename} {scope.component} {scope.architecture}"


def label(scope: Scope) -> str:
    """ "bookworm main amd64", "bookworm main source"."""
    return _label(scope)


def to_json(comparison: Comparison) -> dict[str, object]:
    """The shape of a changes page's JSON and of `snapfront diff --json`:

    {"old": str | null, "new": str,
     "counts": {"added", "removed", "upgraded", "downgraded"},
     "unreadable": [str],
     "scopes": [{"codename", "component", "architecture",
                 "counts": {...},
                 "added": [{"package", "version"}], "removed": [{"package", "version"}],
                 "upgraded": [{"package", "old", "new"}],
                 "downgraded": [{"package", "old", "new"}]}]}
    """
    return {
        "old": comparison.old,
        "new": comparison.new,
        "counts": _counts(comparison.counts),
        "unreadable": list(comparison.unreadable),
        "scopes": [_scope(s) for s in comparison.scopes],
    }


def _counts(counts: Counts) -> dict[str, int]:
    return {k.value: getattr(counts, k.value) for k in Kind}


def _scope(scope: ScopeDelta) -> dict[str, object]:
    return {
        "codename": scope.scope.codename,
        "component": scope.scope.component,
        "architecture": scope.scope.architecture,
        **delta_json(scope.delta),
    }


def delta_json(delta: Delta) -> dict[str, object]:
    """One delta's counts and packages (a scope's, or an event of a suite's history)."""
    found: dict[str, object] = {
        "counts": _counts(delta.counts),
        "added": [{"package": c.package, "version": c.new} for c in delta.added],
        "removed": [{"package": c.package, "version": c.old} for c in delta.removed],
    }
    for kind in (Kind.UPGRADED, Kind.DOWNGRADED):
        found[kind.value] = [
            {"package": c.package, "old": c.old, "new": c.new} for c in delta.of(kind)
        ]
    return found
