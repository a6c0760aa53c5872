"""Changing one suite so that a failure, or a kill, leaves it as it was.

Before the first change, reprepro keeps a copy of the suite (`gensnapshot SUITE
.snapfront-undo`: its indexes under dists/SUITE/snapshots/, a hidden name never served, and
references that keep its pool files). The change then runs; on failure the suite is emptied
and restored from that copy (`removematched`, `restorematched`), and either way the copy is
dropped (`unreferencesnapshot`, its directory removed, the pool files only it held deleted).

The intent record (lifecycle.intent, operation `suite-change`) says which suite and whether
the change was complete (`phase`: changing → done): suites.recover finishes a done one and
rolls back any other, as this module would have.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import replace

from snapfront.base.atomic import atomic_write
from snapfront.base.errors import Failed
from snapfront.basedir import tools
from snapfront.basedir.intent import Intent, intent_path
from snapfront.basedir.release import snapshot_dir
from snapfront.lifecycle.intent import Unresolved, recorded
from snapfront.lifecycle.repo import Repo, first_line, tree_files

from .names import UNDO_SNAPSHOT

CHANGE = "suite-change"


def undo_dir(root: str, suite: str) -> str:
    return snapshot_dir(root, suite, UNDO_SNAPSHOT)


def changing(repo: Repo, suite: str, what: str, act: Callable[[], None]) -> list[str]:
    """Run `act` (reprepro calls that change `suite`) under an intent record and the undo
    copy; Failed (the suite as it was) when it fails. The files it changed, for the purge."""
    before = _pool(repo)
    with recorded(repo.root, CHANGE, (suite,), {"suite": suite, "phase": "changing"}) as intent:
        drop_undo(repo, suite)  # a leftover of a killed run that kept it
        repo.reprepro("gensnapshot", suite, UNDO_SNAPSHOT)
        try:
            act()
        except (tools.ToolError, OSError) as exc:
            try:
                roll_back(repo, suite)
            except (tools.ToolError, OSError) as again:
                raise Unresolved(
                    f"{what} failed ({first_line(exc)}) and could not be undone "
                    f"({first_line(again)}): the next `snapfront suite` command tries again"
                ) from None
            raise Failed(f"{what} failed, {suite} is as it was: {first_line(exc)}") from None
        mark_done(repo.root, intent)
        gone = drop_undo(repo, suite, before)
    return [*suite_files(repo.root, suite), *gone]


def mark_done(root: str, intent: Intent) -> None:
    done = replace(intent, data={**intent.data, "phase": "done"})
    atomic_write(intent_path(root), done.to_json(), durable=True)


def roll_back(repo: Repo, suite: str) -> None:
    """The suite as the undo copy has it, then the copy dropped; when there is no complete
    copy (killed while it was made), nothing had changed: only the copy is dropped."""
    if os.path.isfile(os.path.join(undo_dir(repo.root, suite), "Release")):
        repo.reprepro("removematched", suite, "*")
        repo.reprepro("restorematched", suite, UNDO_SNAPSHOT, "*")
    drop_undo(repo, suite)


def drop_undo(repo: Repo, suite: str, pool_before: frozenset[str] | None = None) -> list[str]:
    """Remove the undo copy and delete the pool files nothing references any more that were
    referenced before (`pool_before`; None: those only the copy held). The paths deleted."""
    directory = undo_dir(repo.root, suite)
    if not os.path.lexists(directory):
        return []
    if pool_before is None:
        pool_before = _pool(repo)
    repo.reprepro("unreferencesnapshot", suite, UNDO_SNAPSHOT)
    shutil.rmtree(directory)
    with_snapshots = os.path.dirname(directory)
    if not os.listdir(with_snapshots):
        os.rmdir(with_snapshots)
    orphans = sorted(set(repo.unreferenced()) - pool_before)
    if orphans:
        repo.reprepro("deleteifunreferenced", *orphans)
    return [repo.path(key) for key in orphans if not os.path.lexists(repo.path(key))]


def _pool(repo: Repo) -> frozenset[str]:
    """The pool files unreferenced now (an operator's --keepunreferencedfiles: kept)."""
    return frozenset(repo.unreferenced())


def suite_files(root: str, suite: str) -> list[str]:
    """dists/SUITE/… but its snapshots: what a change of the suite rewrites."""
    top = os.path.join(root, "dists", suite)
    return [f for f in tree_files(top) if "/snapshots/" not in f[len(top) :]]
