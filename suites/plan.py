"""What a merge, reset or tag would change, and whether its guards let it. Pure: package maps
(suites.packages) in, plans out; suites.apply carries them out with reprepro.

A merge gives DST every package of SRC (SRC's version wins; what only DST has stays), as
Tails' tails-merge-suite did. Its guards: no package may go backwards (diffs.compare, the
comparison of `snapfront diff --fail-on-downgrade`) and none that DST once had and later lost
(suites.history) may come back, unless allowed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from snapfront.diffs.compare import Delta, compare

from .packages import package_name


@dataclass(frozen=True)
class Step:
    """One source into one suite: `copy` the names reprepro copies; `after` DST's packages
    once done; `downgrades`/`readds` what the guards refuse (empty when allowed)."""

    src: str
    dst: str
    before: Mapping[str, str]
    after: Mapping[str, str]
    copy: tuple[str, ...]
    delta: Delta
    downgrades: tuple[str, ...] = ()
    readds: tuple[str, ...] = ()

    @property
    def refused(self) -> bool:
        return bool(self.downgrades or self.readds)

    def refusal(self) -> str:
        why = []
        if self.downgrades:
            why.append(f"would go backwards: {', '.join(self.downgrades)} "
                       "(--allow-downgrade to merge anyway)")  # fmt: skip
        if self.readds:
            why.append(f"{self.dst} once had and lost: {', '.join(self.readds)} "
                       "(--allow-readd to merge anyway)")  # fmt: skip
        return f"merging {self.src} into {self.dst} refused: " + "; ".join(why)


def merge_step(
    src: str,
    dst: str,
    src_packages: Mapping[str, str],
    dst_packages: Mapping[str, str],
    lost: frozenset[str] = frozenset(),
    allow_downgrade: bool = False,
    allow_readd: bool = False,
) -> Step:
    after = {**dst_packages, **src_packages}
    delta = compare(dst_packages, after)
    differ = [k for k, v in src_packages.items() if dst_packages.get(k) != v]
    copy = tuple(sorted({package_name(k) for k in differ}))
    downgrades = () if allow_downgrade else tuple(c.package for c in delta.downgraded)
    readds = () if allow_readd else tuple(c.package for c in delta.added if c.package in lost)
    return Step(src, dst, dict(dst_packages), after, copy, delta, downgrades, readds)


def merge_steps(
    sources: Sequence[str],
    dst: str,
    packages: Mapping[str, Mapping[str, str]],
    lost: frozenset[str] = frozenset(),
    allow_downgrade: bool = False,
    allow_readd: bool = False,
) -> list[Step]:
    """Each SRC merged in order into what the ones before left; the list ends at the first
    refused step (included)."""
    steps: list[Step] = []
    current = dict(packages[dst])
    for src in sources:
        step = merge_step(src, dst, packages[src], current, lost, allow_downgrade, allow_readd)
        steps.append(step)
        if step.refused:
            break
        current = dict(step.after)
    return steps


def replace_step(src: str, dst: str, src_packages: Mapping[str, str],
                 dst_packages: Mapping[str, str]) -> Step:  # fmt: skip
    """DST becomes exactly SRC (reset, tag): everything removed, then everything copied."""
    delta = compare(dst_packages, src_packages)
    copy = tuple(sorted({package_name(k) for k in src_packages}))
    return Step(src, dst, dict(dst_packages), dict(src_packages), copy, delta)
