"""Finish or roll back an interrupted suite operation (intent `suite-sync`, `suite-change`),
and run every `snapfront suite` command that writes after that. The lifecycle leaves these
records alone (it is a layer below); the watcher may call `resolve` for a repository mount
as generator/intents.py does lifecycle.recover's for a snapshots mount.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from snapfront.basedir.intent import Intent, IntentUnreadable, read_intent
from snapfront.lifecycle import recover as lifecycle_recover
from snapfront.lifecycle import stale_lock
from snapfront.lifecycle.outcome import Outcome
from snapfront.lifecycle.repo import Repo

from . import sync_files, undo


@contextlib.contextmanager
def resolved_first(repo: Repo, name: str) -> Iterator[Outcome]:
    """The basedir lock for the whole command, a stale db/lockfile removed and an
    interrupted operation (a suite's or the lifecycle's) resolved first."""
    with repo.locked():
        stale_lock.clear_if_stale(repo.root, repo.reprepro)
        yield resolve(repo, name)


def resolve(repo: Repo, name: str) -> Outcome:
    """Resolve an interrupted operation of the basedir (the caller holds its lock)."""
    try:
        intent = read_intent(repo.root)
    except IntentUnreadable:
        intent = None
    if intent is None or intent.operation not in (undo.CHANGE, sync_files.SYNC):
        return lifecycle_recover.resolve(repo, name)
    return lifecycle_recover.carry_out(repo, name, intent, lambda: _act(repo, intent))


def _act(repo: Repo, intent: Intent) -> tuple[str, list[str]]:
    if intent.operation == undo.CHANGE:
        suite = str(intent.data["suite"])
        done = intent.data.get("phase") == "done"
        changed = undo.drop_undo(repo, suite) if done else _rolled_back(repo, suite)
        return ("finished" if done else f"rolled back: {suite} is as it was before"), changed
    changed = sync_files.roll_back(repo.root, intent)
    return "rolled back: the suite configuration is as it was before", changed


def _rolled_back(repo: Repo, suite: str) -> list[str]:
    undo.roll_back(repo, suite)
    return undo.suite_files(repo.root, suite)
