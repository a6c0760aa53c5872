"""Which snapshots `snapshot gc` removes: a pure decision over Release facts and the clock.

Tails' rule: a snapshot whose Valid-Until has passed is expired; keeping one means bumping
it. A codename snapshot (`dists/CODENAME/snapshots/SERIAL`) expired for longer than the grace
goes (APT checks expiry only at `update`: a build that updated just before may still be
fetching pool files); one without Valid-Until goes only when older than `max_age`. One that
is not whole (no signed Release family, or a Release that cannot be read: a take killed half
way, a gensnapshot that crashed) was never a snapshot: it goes once nothing was written in it
for longer than the grace, whatever its Release says. The serial the trace names and the
`keep` newest whole serials are never touched otherwise. A serial is gone when all its
codenames are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class SnapshotFacts:
    """One codename snapshot as gc sees it; `readable` False when its Release is unusable,
    `signed` False without its signed Release family; `written`: its newest file's mtime."""

    codename: str
    serial: str
    date: int | None
    valid_until: int | None
    readable: bool = True
    signed: bool = True
    written: float | None = None

    @property
    def whole(self) -> bool:
        return self.readable and self.signed


@dataclass(frozen=True)
class Policy:
    keep: int = 1  # the newest serials kept whatever their Valid-Until
    grace: float = 24 * 3600.0  # seconds past Valid-Until before a snapshot goes
    max_age: float | None = None  # seconds since Date; only for snapshots without Valid-Until


@dataclass(frozen=True)
class Plan:
    remove: tuple[tuple[str, str], ...]  # (codename, serial), sorted by serial then codename
    serials_gone: tuple[str, ...]  # serials none of whose codenames remain
    kept: tuple[str, ...]  # serials that stay (at least one codename, whole)

    def referees(self) -> frozenset[str]:
        return frozenset(f"s={codename}={serial}" for codename, serial in self.remove)


def removable(facts: SnapshotFacts, now: float, policy: Policy) -> bool:
    """Is this one codename snapshot past the rule (protection aside)?"""
    if not facts.whole:
        return facts.written is not None and now > facts.written + policy.grace
    if facts.valid_until is not None:
        return now > facts.valid_until + policy.grace
    if policy.max_age is None or facts.date is None:
        return False
    return now > facts.date + policy.max_age


def plan(
    snapshots: Iterable[SnapshotFacts], now: float, policy: Policy, traced: str | None
) -> Plan:
    """What gc removes; `traced` is the serial the trace names (never removed)."""
    snapshots = list(snapshots)
    serials = sorted({s.serial for s in snapshots})
    whole = sorted({s.serial for s in snapshots if s.whole})
    kept = set(whole[len(whole) - policy.keep :] if policy.keep > 0 else ())

    def protected(s: SnapshotFacts) -> bool:
        return s.serial == traced or (s.whole and s.serial in kept)

    remove = sorted(
        ((s.codename, s.serial) for s in snapshots
         if not protected(s) and removable(s, now, policy)),
        key=lambda pair: (pair[1], pair[0]),
    )  # fmt: skip
    removed = set(remove)
    remaining = {s.serial for s in snapshots if (s.codename, s.serial) not in removed}
    gone = tuple(s for s in serials if s not in remaining)
    stay = {s.serial for s in snapshots if s.whole and (s.codename, s.serial) not in removed}
    return Plan(tuple(remove), gone, tuple(s for s in serials if s in stay))
