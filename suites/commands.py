"""`snapfront suite list|sync|merge|reset|tag` on a repository basedir (README: Suites).

Each reads, decides (suites.plan, suites.sync_plan: pure) and, unless `dry_run`, changes
through reprepro under the basedir lock (the caller holds it: suites.recover.resolved_first)
with an undo copy and an intent record (suites.undo), then records the suite's history.
They return an Outcome (lines, changed files for the purge); a guard's refusal after some
sources were merged comes back as `refusal`, so those lines are still printed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from snapfront.base.errors import Refused
from snapfront.basedir.inventory import configured_codenames
from snapfront.diffs.commands import delta_rows
from snapfront.lifecycle.outcome import Outcome
from snapfront.lifecycle.repo import Repo

from . import history, inventory, sync_files, undo
from .conf_files import read_model
from .git_refs import read_refs
from .names import SuiteKind, suite_name
from .packages import Packages, read_suite
from .plan import Step, merge_steps, replace_step
from .sync_plan import Wanted, plan_sync, sync_lines, wanted


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    refusal: str | None = None


def list_suites(repo: Repo, as_json: bool) -> Outcome:
    infos = inventory.suite_infos(repo)
    if as_json:
        rows = [{"suite": i.name, "kind": i.kind.value, "ref": i.ref, "binaries": i.binaries,
                 "sources": i.sources, "uploads": i.uploads, "last_change": i.last_change}
                for i in infos]  # fmt: skip
        return Outcome((json.dumps({"suites": rows}, indent=1),))
    row = "{:<28} {:<8} {:>8} {:>7}  {:<9}  {}"
    lines = [row.format("SUITE", "KIND", "BINARIES", "SOURCES", "UPLOADS", "LAST CHANGE (UTC)")]
    for i in sorted(infos, key=lambda i: (list(SuiteKind).index(i.kind), i.name)):
        when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(i.last_change)) if i.last_change else "-"
        uploads = "accepted" if i.uploads else "read-only" if i.kind is SuiteKind.RELEASE else "-"
        lines.append(row.format(i.name, i.kind.value, i.binaries, i.sources, uploads, when))
    return Outcome(tuple(lines) if infos else ("no suites",))


def sync(repo: Repo, git: str, template: str | None, main: Sequence[str], dry_run: bool) -> Outcome:
    branches, tags = read_refs(git)
    ours = read_model(repo.root)
    operators = [c for c in configured_codenames(repo.root) if c not in ours]
    plan = plan_sync(wanted(branches, tags, frozenset(main)), ours, operators)
    fields = sync_files.template_fields(repo.root, template) if plan.create else {}
    lines = tuple(sync_lines(plan, dry_run))
    if dry_run or not plan.create:
        return Outcome(lines)
    entries = sync_files.new_entries(repo.root, plan, fields)
    changed = sync_files.apply_sync(repo, entries, [w.name for w in plan.create])
    return Outcome(lines, tuple(changed))


def merge(
    repo: Repo, mount: str, sources: Sequence[str], dst: str, dry_run: bool,
    allow_downgrade: bool = False, allow_readd: bool = False,
) -> Result:  # fmt: skip
    kinds = inventory.require_suites(repo.root, mount, [*sources, dst])
    inventory.read_only(mount, dst, kinds[dst])
    packages = {name: read_suite(repo.reprepro, name) for name in dict.fromkeys([*sources, dst])}
    lost = _lost(repo, dst, packages[dst], dry_run)
    steps = merge_steps(sources, dst, packages, lost, allow_downgrade, allow_readd)
    lines: list[str] = []
    changed: list[str] = []
    for step in steps:
        lines += _step_lines("merge", step, dry_run)
        if step.refused:
            return Result(Outcome(tuple(lines), tuple(changed)), step.refusal())
        if not dry_run and step.copy:
            act = lambda s=step: repo.reprepro("copy", s.dst, s.src, *s.copy)  # noqa: E731
            changed += _change(repo, step, "merge", f"from {step.src}", act)
    return Result(Outcome(tuple(lines), tuple(changed)))


def reset(repo: Repo, mount: str, old: str, new: str, dry_run: bool) -> Outcome:
    kinds = inventory.require_suites(repo.root, mount, [old, new])
    inventory.read_only(mount, old, kinds[old])
    return _replace(repo, "reset", new, old, f"to {new}", dry_run)


def tag(repo: Repo, mount: str, tag_name: str, source: str, dry_run: bool) -> Outcome:
    """TAG (a release's suite; created from SOURCE's stanza when missing) receives SOURCE."""
    suite = suite_name(tag_name)
    inventory.require_suites(repo.root, mount, [source])
    known = inventory.kinds(repo.root)
    lines: list[str] = []
    changed: list[str] = []
    if suite in known:
        if known[suite][0] is not SuiteKind.RELEASE:
            raise Refused(f"{mount}: {suite} is a {known[suite][0].value} suite, not a release's")
        if read_suite(repo.reprepro, suite):
            raise Refused(f"{mount}: {suite} is tagged already: a release's suite is read-only")
    else:
        lines.append(
            f"{'would create' if dry_run else 'created'} {suite} (release, from {tag_name})"
        )
        if not dry_run:
            plan = plan_sync(
                [Wanted(suite, SuiteKind.RELEASE, tag_name)], read_model(repo.root), ()
            )
            fields = sync_files.template_fields(repo.root, source)
            entries = sync_files.new_entries(repo.root, plan, fields)
            changed += sync_files.apply_sync(repo, entries, [suite])
    done = _replace(repo, "tag", source, suite, f"from {source}", dry_run, known=suite in known)
    return Outcome((*lines, *done.lines), (*changed, *done.changed))


def _replace(
    repo: Repo, event: str, src: str, dst: str, detail: str, dry_run: bool, known: bool = True
) -> Outcome:
    src_packages = read_suite(repo.reprepro, src)
    before = read_suite(repo.reprepro, dst) if known or not dry_run else {}
    if not dry_run:
        _lost(repo, dst, before, dry_run)  # an outside change is recorded before this one
    step = replace_step(src, dst, src_packages, before)
    lines = _step_lines(event, step, dry_run)
    if dry_run or (not step.delta and before == src_packages):
        return Outcome(tuple(lines))

    def act() -> None:
        if before:
            repo.reprepro("removematched", dst, "*")
        if src_packages:
            repo.reprepro("copymatched", dst, src, "*")

    return Outcome(tuple(lines), tuple(_change(repo, step, event, detail, act)))


def _change(repo: Repo, step: Step, event: str, detail: str, act) -> list[str]:
    changed = undo.changing(repo, step.dst, f"{event} of {step.dst}", act)
    after = read_suite(repo.reprepro, step.dst)
    history.record(Path(repo.root), step.dst, event, step.before, after, time.time(), detail)
    return changed


def _lost(repo: Repo, suite: str, now: Packages, dry_run: bool) -> frozenset[str]:
    """What the suite once had and lost, an outside change since its last record included
    (recorded, unless `dry_run`)."""
    past = history.read(repo.root, suite) if dry_run else history.catch_up(repo.root, suite, now)
    pending = history.changes(past.state or {}, now)
    return past.lost() | {p for p, _old, new in pending if new is None}


def _step_lines(verb: str, step: Step, dry_run: bool) -> list[str]:
    verb = f"would {verb}" if dry_run else verb
    head = f"{verb} {step.src} -> {step.dst}"
    if not step.delta:
        return [f"{head}: nothing to change"]
    return [f"{head}: {step.delta.counts.text}", *delta_rows(step.delta)]
