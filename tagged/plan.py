"""What goes into a tag, decided from the manifest and what each origin's snapshot holds at the
build's serial; pure.

An entry goes into every (origin, codename, component) whose snapshot has it at exactly its
version, not only the one the build downloaded it from: a (package, version) in two of the
build's APT sources must be in both tagged snapshots, or APT's pinning may choose another
version when the build is reproduced. A binary is pulled for its own architecture; an `all`
binary for the manifest's architectures (every one, when the manifest lists only `all`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .indexes import SuiteIndex
from .manifest import Binary, Entry, Manifest, Source


@dataclass(frozen=True)
class SuitePlan:
    codename: str
    binaries: Mapping[tuple[str, str], frozenset[Binary]]  # (component, arch) → entries
    sources: Mapping[str, frozenset[Source]]  # component → entries

    @property
    def components(self) -> tuple[str, ...]:
        found = {c for c, _a in self.binaries} | set(self.sources)
        return tuple(sorted(found))

    @property
    def architectures(self) -> tuple[str, ...]:
        return tuple(sorted({a for _c, a in self.binaries}))

    @property
    def entries(self) -> frozenset[Entry]:
        every: set[Entry] = set()
        for group in (*self.binaries.values(), *self.sources.values()):
            every |= group
        return frozenset(every)

    def describe(self) -> str:
        areas = [*self.architectures, *(["source"] if self.sources else [])]
        return f"{self.codename} {' '.join(self.components)} [{' '.join(areas)}]"


@dataclass(frozen=True)
class OriginPlan:
    origin: str
    serial: str
    suites: tuple[SuitePlan, ...]

    @property
    def entries(self) -> frozenset[Entry]:
        return frozenset().union(*(s.entries for s in self.suites))


@dataclass(frozen=True)
class Plan:
    origins: tuple[OriginPlan, ...]  # those with something to import
    missing: tuple[Entry, ...]  # in no origin at the build's serial
    empty: tuple[str, ...]  # origins of the manifest from which nothing comes


def decide(manifest: Manifest, found: Mapping[str, Sequence[SuiteIndex]]) -> Plan:
    """`found`: origin → the suites its snapshot at the manifest's serial has."""
    arches = {b.arch for b in manifest.binaries if b.arch != "all"}
    origins, placed = [], set()
    for origin in sorted(manifest.origins):
        suites = [_suite(suite, arches) for suite in found.get(origin, ())]
        suites = [s for s in suites if s.entries]
        if suites:
            plan = OriginPlan(origin, manifest.origins[origin], tuple(suites))
            origins.append(plan)
            placed |= plan.entries
    missing = tuple(e for e in manifest.entries if e not in placed)
    empty = tuple(o for o in sorted(manifest.origins) if o not in {p.origin for p in origins})
    return Plan(tuple(origins), missing, empty)


def _suite(suite: SuiteIndex, arches: set[str]) -> SuitePlan:
    binaries = {}
    for (component, arch), entries in suite.binaries.items():
        wanted = (arch, "all") if not arches or arch in arches else (arch,)
        kept = frozenset(e for e in entries if e.arch in wanted)
        if kept:
            binaries[(component, arch)] = kept
    sources = {c: frozenset(e) for c, e in suite.sources.items() if e}
    return SuitePlan(suite.codename, binaries, sources)
