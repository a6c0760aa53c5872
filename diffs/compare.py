"""Two package → version maps → what was added, removed, upgraded and downgraded. Pure.

Versions compare by Debian policy (epoch, upstream, revision; `~` sorts before everything,
even the end of the string) with python-debian's `Version`, never as strings: 1.0~rc1 < 1.0,
1:0.9 > 2.0, 1.0-1 < 1.0-1+deb12u1. Two spellings that policy calls equal (1.0 and 1.0-0,
0:1.0 and 1.0) are no change.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from debian.debian_support import Version


class Kind(enum.StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    UPGRADED = "upgraded"
    DOWNGRADED = "downgraded"


@dataclass(frozen=True, order=True)
class Change:
    """One package: `old` is None when added, `new` None when removed."""

    package: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class Delta:
    """The changes of one index (or anything keyed by package name), each list by name."""

    added: tuple[Change, ...] = ()
    removed: tuple[Change, ...] = ()
    upgraded: tuple[Change, ...] = ()
    downgraded: tuple[Change, ...] = ()

    def of(self, kind: Kind) -> tuple[Change, ...]:
        return getattr(self, kind.value)

    @property
    def counts(self) -> Counts:
        return Counts(len(self.added), len(self.removed), len(self.upgraded), len(self.downgraded))

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.upgraded or self.downgraded)


@dataclass(frozen=True)
class Counts:
    added: int = 0
    removed: int = 0
    upgraded: int = 0
    downgraded: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.added + other.added,
            self.removed + other.removed,
            self.upgraded + other.upgraded,
            self.downgraded + other.downgraded,
        )

    @property
    def text(self) -> str:
        """Added, removed, upgraded, downgraded: "+3 \u22121 \u21915 \u21930"."""
        return f"+{self.added} \u2212{self.removed} \u2191{self.upgraded} \u2193{self.downgraded}"


def newer(a: str, b: str) -> bool:
    """True when version `a` sorts after `b` by Debian policy."""
    return Version(a) > Version(b)


def highest(versions: list[str]) -> str:
    """The highest of several versions of one package (an index may list more than one)."""
    best = versions[0]
    for version in versions[1:]:
        if newer(version, best):
            best = version
    return best


def compare(old: Mapping[str, str], new: Mapping[str, str]) -> Delta:
    """What changed from `old` to `new` (package name → version)."""
    added = [Change(name, None, new[name]) for name in new.keys() - old.keys()]
    removed = [Change(name, old[name], None) for name in old.keys() - new.keys()]
    upgraded, downgraded = [], []
    for name in old.keys() & new.keys():
        before, after = old[name], new[name]
        if before == after:
            continue
        a, b = Version(after), Version(before)
        if a > b:
            upgraded.append(Change(name, before, after))
        elif a < b:
            downgraded.append(Change(name, before, after))
    return Delta(*(tuple(sorted(found)) for found in (added, removed, upgraded, downgraded)))
