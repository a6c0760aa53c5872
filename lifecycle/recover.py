"""Finish or roll back the operation an intent record names (lifecycle.recovery_plan decides),
then remove the record and say in one line what was done. Called under the basedir lock by
every command that changes a basedir, before it does anything else, and by the watcher.

A recovery that fails leaves the record in place and raises Failed naming the interrupted
operation: every later command tries again, and nothing new starts on a half-changed archive.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType

from snapfront.base.atomic import sync_dir
from snapfront.base.digest import file_sha256
from snapfront.base.errors import Failed, Refused
from snapfront.basedir import tools
from snapfront.basedir.intent import (
    RESOLVED_BY,
    Intent,
    IntentUnreadable,
    intent_path,
    interrupted,
    read_intent,
)

from . import drop_finish, stale_lock
from .gc import TRASH
from .intent import (
    PlannedFile,
    clear,
    codename_of,
    created_of,
    files_of,
    leftover_temps,
    removals_of,
)
from .outcome import Outcome
from .recovery_plan import DirState, Drop, FileState, decide_drop, decide_gc, decide_replace
from .replace import newer_second
from .repo import Repo, first_line, plural, tree_files
from .take import roll_back

Others = Mapping[str, Callable[[str, str], object]]
"""operation → resolve(root, name), for records the lifecycle does not resolve itself."""

log = logging.getLogger("snapfront.lifecycle")


@contextlib.contextmanager
def resolved_first(
    root: str, name: str, gnupghome: str | None, others: Others = MappingProxyType({})
) -> Iterator[Outcome]:
    """Hold the basedir lock for a whole command, having removed a stale db/lockfile and
    resolved an interrupted operation first (what that did: its line was logged, its files
    are to be purged). `others`: resolvers of other capabilities' operations, by name (the
    command line hands them in: they live a layer above)."""
    repo = Repo(root, gnupghome)
    with repo.locked():
        stale_lock.clear_if_stale(repo.root, repo.reprepro)
        yield resolve(repo, name, others)


def pending_note(root: str, name: str) -> str | None:
    """The line a command that changes nothing (`--dry-run`) prints about an interrupted
    operation it leaves for the next one; Refused when a stale db/lockfile is in its way
    (removing it is a change)."""
    if stale_lock.is_stale(root):
        raise Refused(
            f"{stale_lock.lockfile(root)} is stale (no process holds it): run the command "
            "without --dry-run, which removes it first"
        )
    found = interrupted(root)
    if found is None:
        return None
    return f"snapfront: {name}: interrupted {found.describe()}: the next command resolves it"


def resolve(repo: Repo, name: str, others: Others = MappingProxyType({})) -> Outcome:
    """Resolve the interrupted operation of `repo`'s basedir, if any (`name`: the mount's URL,
    for the line); the caller holds the basedir lock. Its lines are logged as well."""
    try:
        intent = read_intent(repo.root)
    except IntentUnreadable as exc:
        raise Refused(
            f"{intent_path(repo.root)}: {exc}: check the basedir, then move it aside"
        ) from None
    if intent is None:
        for temp in leftover_temps(repo.root):  # a record's writer killed before the rename
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
        return Outcome()
    if intent.operation in RESOLVED_BY:  # another capability's (a layer above) resolves it
        other = others.get(intent.operation)
        if other is None:
            raise Failed(
                f"{name}: an interrupted {intent.describe()} is recorded in "
                f"{intent_path(repo.root)}: run `{RESOLVED_BY[intent.operation]}` to resolve "
                "it first"
            )
        other(repo.root, name)  # logs its line
        return Outcome()
    act = {"take": _take, "bump": _replace, "resign": _replace, "gc": _gc}
    act |= {"drop-codename": _drop}
    return carry_out(repo, name, intent, lambda: act[intent.operation](repo, intent))


def carry_out(
    repo: Repo, name: str, intent: Intent, act: Callable[[], tuple[str, list[str]]]
) -> Outcome:
    """Run `act` (finish or roll back what `intent` records: what it did, and the files it
    changed), then remove the record and log one line; a record that is not snapfront's is
    Refused, a failure leaves it (Failed)."""
    try:
        said, changed = act()
    except (IntentUnreadable, KeyError, IndexError, TypeError, ValueError) as exc:  # edited
        raise Refused(
            f"{intent_path(repo.root)}: not a record snapfront wrote ({exc!r}): check the "
            "basedir, then move it aside"
        ) from None
    except (tools.ToolError, OSError, Failed) as exc:
        raise Failed(
            f"{name}: the interrupted {intent.describe()} could not be resolved: "
            f"{first_line(exc)}; its record stays in {intent_path(repo.root)}"
        ) from None
    clear(repo.root)
    line = f"snapfront: {name}: interrupted {intent.describe()}: {said}"
    log.warning("%s", line)
    return Outcome((line,), tuple(changed))


def _take(repo: Repo, intent: Intent) -> tuple[str, list[str]]:
    created = created_of(repo.root, intent)
    serial = intent.serials[0]
    files = [f for _codename, top in created for f in tree_files(top)]
    said, complete = roll_back(repo, serial, created)
    if not complete:
        raise Failed(said)
    return f"rolled back: {said} ({plural(len(created), 'codename')})", files


def _replace(repo: Repo, intent: Intent) -> tuple[str, list[str]]:
    planned = files_of(repo.root, intent)
    decided = decide_replace([_file_state(p) for p in planned])
    if decided.finish:
        moving = [planned[i] for i in decided.rename]
        newer_second([p.temp for p in moving], [p.path for p in moving])
        for item in moving:
            os.replace(item.temp, item.path)
        for folder in dict.fromkeys(os.path.dirname(p.path) for p in moving):
            sync_dir(folder)
        done = len(planned) - len(moving)
        return (
            f"finished: {plural(len(moving), 'file')} renamed into place ({done} had been already)",
            [p.path for p in moving],
        )
    for index in decided.remove:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(planned[index].temp)
    said = (
        f"rolled back: nothing had been replaced, {plural(len(decided.remove), 'new file')} removed"
    )
    if decided.mixed:
        said = "rolled back its new files, but some were in place already: run it again"
    return said, []


def _file_state(item: PlannedFile) -> FileState:
    if os.path.lexists(item.temp):
        return FileState.READY if file_sha256(item.temp) == item.sha256 else FileState.PARTIAL
    if os.path.isfile(item.path) and file_sha256(item.path) == item.sha256:
        return FileState.IN_PLACE
    return FileState.NOT_WRITTEN


def _gc(repo: Repo, intent: Intent) -> tuple[str, list[str]]:
    removed, changed = [], []
    for codename, serial in removals_of(intent):
        directory = repo.snapshot_dir(codename, serial)
        aside = os.path.join(os.path.dirname(directory), TRASH.format(serial=serial))
        if os.path.lexists(aside) and os.path.lexists(directory):
            shutil.rmtree(aside)  # cannot happen by gc's order; the directory is the truth
        state = (
            DirState.IN_PLACE if os.path.lexists(directory)
            else DirState.ASIDE if os.path.lexists(aside) else DirState.GONE
        )  # fmt: skip
        step = decide_gc(state)
        if step.move_aside:
            changed += tree_files(directory)
            os.rename(directory, aside)
        if step.unreference:
            repo.reprepro("unreferencesnapshot", codename, serial)
            removed.append(f"{codename} {serial}")
        if step.remove_aside:
            shutil.rmtree(aside)
    pool = repo.unreferenced()
    repo.reprepro("deleteunreferenced")
    gone = [key for key in pool if not os.path.lexists(repo.path(key))]
    changed += [repo.path(key) for key in gone]
    names = ", ".join(removed) or "none left"
    return (
        f"finished: removed snapshots ({names}), deleted {plural(len(gone), 'pool file')}",
        changed,
    )


def _drop(repo: Repo, intent: Intent) -> tuple[str, list[str]]:
    codename = codename_of(intent)
    if decide_drop(codename, repo.configured()) is Drop.ABANDON:
        return f"abandoned: {codename} is in conf/distributions again", []
    return drop_finish.finish(repo, codename)
