"""`snapfront snapshot gc`: remove expired snapshots, then the pool files only they held.

What goes is lifecycle.expiry's pure decision. For each codename snapshot: its directory is
renamed aside (served as 404 from that instant), `reprepro unreferencesnapshot CODENAME
SERIAL` drops its references, then the directory is deleted; one `reprepro
deleteunreferenced` follows (each reference removal scans the whole table: batch them).
`--dry-run` computes the same plan from `reprepro dumpreferences` (files whose every referee
is a removed snapshot) plus `dumpunreferenced` (files already unreferenced, which
deleteunreferenced would delete too) and changes nothing. The intent record (lifecycle.intent)
lists the snapshots going: after a SIGKILL the next command finishes removing them.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass

from snapfront.base.errors import Failed, Refused
from snapfront.basedir import tools
from snapfront.basedir.inventory import read_archive
from snapfront.basedir.release import newest_complete_serial
from snapfront.rewrite_rules import Mount

from .expiry import Plan, Policy, plan
from .intent import gc_data, recorded
from .outcome import Outcome
from .repo import Repo, file_bytes, first_line, human, orphaned_by, plural, tree_files

HOUR, DAY = 3600, 86400
TRASH = ".{serial}.snapfront-gc"  # not a serial: never served, never listed


@dataclass(frozen=True)
class GcOptions:
    dry_run: bool = False
    keep: int = 1
    grace_hours: float = 24.0
    max_age_days: float | None = None

    def policy(self) -> Policy:
        if self.keep < 0:
            raise Refused("--keep must be 0 or more")
        if self.grace_hours < 0:
            raise Refused("--grace must be 0 or more hours")
        if self.max_age_days is not None and self.max_age_days <= 0:
            raise Refused("--max-age must be more than 0 days")
        max_age = None if self.max_age_days is None else self.max_age_days * DAY
        return Policy(self.keep, self.grace_hours * HOUR, max_age)


def gc(mount: Mount, options: GcOptions, now: float | None = None) -> Outcome:
    policy = options.policy()
    repo = Repo(mount.root)
    with repo.locked():
        now = time.time() if now is None else now
        found = newest_complete_serial(mount.root, read_archive(mount.root), mount.keyring)
        decided = plan(repo.facts(), now, policy, found[0] if found else None)
        if not decided.remove:
            return Outcome((f"nothing to remove; {plural(len(decided.kept), 'serial')} kept",))
        if options.dry_run:
            return _dry_run(repo, decided)
        touched = sorted({serial for _codename, serial in decided.remove})
        with recorded(repo.root, "gc", touched, gc_data(decided.remove)):
            return _collect(repo, decided)


def _dry_run(repo: Repo, decided: Plan) -> Outcome:
    pool = sorted(
        set(orphaned_by(repo.references(), decided.referees())) | set(repo.unreferenced())
    )
    dirs = [f for c, s in decided.remove for f in tree_files(repo.snapshot_dir(c, s))]
    lines = _removals(decided, "would remove")
    lines += [f"would delete {key} ({file_bytes([repo.path(key)])} bytes)" for key in pool]
    lines.append(_summary(decided, pool, file_bytes(dirs) + _pool_bytes(repo, pool), "would"))
    return Outcome(tuple(lines))


def _collect(repo: Repo, decided: Plan) -> Outcome:
    changed: list[str] = []
    freed = 0
    for done, (codename, serial) in enumerate(decided.remove):
        directory = repo.snapshot_dir(codename, serial)
        trash = os.path.join(os.path.dirname(directory), TRASH.format(serial=serial))
        files = tree_files(directory)
        size = file_bytes(files)
        os.rename(directory, trash)
        try:
            repo.reprepro("unreferencesnapshot", codename, serial)
        except tools.ToolError as exc:
            os.rename(trash, directory)
            raise Failed(
                f"gc: unreferencesnapshot {codename} {serial} failed ({first_line(exc)}); "
                f"{done} of {len(decided.remove)} snapshots were removed before it, "
                "this one and the rest are untouched"
            ) from None
        shutil.rmtree(trash)
        changed += files
        freed += size
    pool = repo.unreferenced()
    sizes = {key: file_bytes([repo.path(key)]) for key in pool}  # before they go
    try:
        repo.reprepro("deleteunreferenced")
    except tools.ToolError as exc:
        raise Failed(
            f"gc: the snapshots are removed but deleteunreferenced failed ({first_line(exc)}); "
            "run `reprepro deleteunreferenced` again"
        ) from None
    gone = [key for key in pool if not os.path.lexists(repo.path(key))]
    freed += sum(sizes[key] for key in gone)
    changed += [repo.path(key) for key in gone]
    lines = _removals(decided, "removed")
    lines += [f"deleted {key}" for key in gone]
    lines.append(_summary(decided, gone, freed, ""))
    return Outcome(tuple(lines), tuple(changed))


def _pool_bytes(repo: Repo, keys: Sequence[str]) -> int:
    return file_bytes(repo.path(key) for key in keys)


def _removals(decided: Plan, verb: str) -> list[str]:
    lines = []
    gone = set(decided.serials_gone)
    for serial in decided.serials_gone:
        names = " ".join(c for c, s in decided.remove if s == serial)
        lines.append(f"{verb} serial {serial} ({names})")
    for codename, serial in decided.remove:
        if serial not in gone:
            lines.append(f"{verb} snapshot {codename} {serial} (serial {serial} stays)")
    return lines


def _summary(decided: Plan, pool: Sequence[str], freed: int, would: str) -> str:
    verbs = (
        ("would remove", "would delete", "would free") if would else ("removed", "deleted", "freed")
    )
    return (
        f"{verbs[0]} {plural(len(decided.serials_gone), 'serial')} "
        f"({plural(len(decided.remove), 'snapshot')}); "
        f"{verbs[1]} {plural(len(pool), 'pool file')}; {verbs[2]} {freed} bytes ({human(freed)})"
    )
