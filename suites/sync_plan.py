"""Which suites a Git repository's branches and tags call for, and which of them to create.
Pure: refs and the suites that exist in, a plan out (suites.sync_files writes it).

Tails' mapping: every main branch (stable, testing, devel, feature-*, `--main` names) gets a
main suite, every other branch an overlay suite, every tag a release suite (read-only);
names by names.suite_name. Nothing is ever deleted: suites whose ref is gone are reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .conf_files import SuiteEntry
from .names import SuiteKind, branch_kind, suite_name


@dataclass(frozen=True)
class Wanted:
    name: str
    kind: SuiteKind
    ref: str


@dataclass(frozen=True)
class SyncPlan:
    create: tuple[Wanted, ...] = ()
    present: tuple[str, ...] = ()
    gone: tuple[SuiteEntry, ...] = ()
    skipped: tuple[tuple[Wanted, str], ...] = ()  # (wanted, why not)


def wanted(
    branches: Iterable[str], tags: Iterable[str], main: frozenset[str] = frozenset()
) -> list[Wanted]:
    """Branches first, then tags, each sorted; one suite per ref."""
    found = [Wanted(suite_name(b), branch_kind(b, main), b) for b in sorted(branches)]
    return found + [Wanted(suite_name(t), SuiteKind.RELEASE, t) for t in sorted(tags)]


def plan_sync(
    refs: list[Wanted], ours: Mapping[str, SuiteEntry], operators: Iterable[str]
) -> SyncPlan:
    """`ours`: the suites snapfront created; `operators`: every other configured codename."""
    others = set(operators)
    create, present, skipped = [], [], []
    taken: dict[str, Wanted] = {}
    for ref in refs:
        if ref.name in taken:
            skipped.append((ref, f"{taken[ref.name].ref} has the same suite name"))
            continue
        taken[ref.name] = ref
        if ref.name in ours:
            present.append(ref.name)
        elif ref.name in others:
            skipped.append((ref, "conf/distributions defines it already (kept as it is)"))
        else:
            create.append(ref)
    seen = {(r.name, r.ref) for r in refs}
    gone = tuple(e for n, e in sorted(ours.items()) if (n, e.ref) not in seen)
    return SyncPlan(tuple(create), tuple(present), gone, tuple(skipped))


def sync_lines(plan: SyncPlan, dry_run: bool) -> list[str]:
    verb = "would create" if dry_run else "created"
    lines = [f"{verb} {w.name} ({w.kind.value}, from {w.ref})" for w in plan.create]
    lines += [f"not created: {w.name} (from {w.ref}): {why}" for w, why in plan.skipped]
    lines += [f"gone from Git: {e.name} ({e.kind.value}, {e.ref}): kept" for e in plan.gone]
    lines.append(f"{len(plan.create)} to create, {len(plan.present)} there already"
                 if dry_run else
                 f"{len(plan.create)} created, {len(plan.present)} there already")  # fmt: skip
    return lines
