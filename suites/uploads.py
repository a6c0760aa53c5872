"""Process a repository's incoming/: each complete upload goes to `reprepro processincoming
snapfront CHANGES`, one at a time, under the basedir lock and an intent record; an accepted
one's leftovers are removed and the change written to its suite's history; a rejected one
(and one incomplete for too long) is taken aside to incoming/rejected/ with reprepro's words.
The watcher calls `process` on every change in incoming/; `snapfront suite process` does the
same once. What to do is decided in suites.incoming; this module carries it out.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from snapfront.base.atomic import atomic_write
from snapfront.base.errors import Failed, Refused
from snapfront.basedir.intent import IntentUnreadable, intent_path, read_intent
from snapfront.basedir.tools import ToolError
from snapfront.lifecycle import basedir_lock
from snapfront.lifecycle.intent import clear, recorded
from snapfront.lifecycle.repo import first_line, tree_files

from . import history, upload_tally
from . import incoming_reprepro as reprepro
from .incoming import State, Upload, answer, aside_name, leftovers
from .incoming_scan import REASON_FILE, Found, changes_bytes, incoming_dir, rejected_dir, scan
from .packages import SOURCE_PREFIX

log = logging.getLogger("snapfront.uploads")
OPERATION = "upload"


@dataclass(frozen=True)
class Result:
    changes: str
    suite: str
    outcome: str  # accepted, rejected, waiting, ready (a dry run's)
    detail: str = ""  # source and version; why rejected; what is missing


@dataclass
class Processed:
    results: list[Result] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # data paths, for the purge
    notes: list[str] = field(default_factory=list)  # an interrupted upload resolved

    def lines(self) -> list[str]:
        shown = [f"{r.outcome}\t{r.suite}\t{r.changes}\t{r.detail}" for r in self.results]
        return [*self.notes, *shown] or ["nothing in incoming/"]


def process(
    root: str, gnupghome: str | None = None, dry_run: bool = False, wait: bool = True
) -> Processed:
    """Everything complete in incoming/ now, under the basedir lock (`wait` False: raise
    BlockingIOError at once when a command holds it: the watcher tries again later)."""
    with basedir_lock.hold(root, wait=wait):
        done = Processed()
        if dry_run:
            pending = read_intent(root)
            if pending is not None:
                done.notes.append(f"interrupted {pending.describe()}: the next run resolves it")
        else:
            done.notes += recover(root, gnupghome)
        found = scan(root, time.time())
        for name in sorted(found.stale):
            done.results.append(_aside(root, found, name, None, found.unreadable[name], dry_run))
        for upload, decision in found.uploads:
            if decision.state is State.STALE:
                done.results.append(_aside(root, found, upload.changes, upload,
                                           decision.reason(), dry_run))  # fmt: skip
            elif decision.state is State.WAITING:
                missing = "waiting for " + ", ".join(decision.missing)
                done.results.append(Result(upload.changes, upload.suite, "waiting", missing))
        for upload in found.ready():
            if dry_run:
                plan = f"reprepro processincoming snapfront {upload.changes}"
                done.results.append(Result(upload.changes, upload.suite, "ready", plan))
                continue
            done.results.append(_one(root, gnupghome, found, upload, done.changed))
        if not dry_run:
            upload_tally.add(root, [r.outcome for r in done.results
                                    if r.outcome in upload_tally.OUTCOMES])  # fmt: skip
        return done


def _one(
    root: str, gnupghome: str | None, found: Found, upload: Upload, changed: list[str]
) -> Result:
    """One complete upload through reprepro, recorded while it runs."""
    what = f"{upload.source} {upload.version}"
    saved = changes_bytes(root, upload.changes)
    data = {"changes": upload.changes, "suite": upload.suite, "source": upload.source,
            "version": upload.version}  # fmt: skip
    with recorded(root, OPERATION, data=data):
        before = _packages(root, upload.suite)
        if before:  # a suite reprepro knows: its history first catches up with outside changes
            history.catch_up(root, upload.suite, before)
        status, output = reprepro.process(root, upload.changes, gnupghome)
        said = answer(status, output)
        if not said.accepted:
            return _aside(root, found, upload.changes, upload, said.reason, False, saved)
        after = _packages(root, upload.suite)
        _remove(root, leftovers(upload, os.listdir(incoming_dir(root)), _others(found)))
        history.record(Path(root), upload.suite, "upload", before, after, time.time(),
                       f"{what} ({upload.changes})")  # fmt: skip
    changed += _changed_paths(root, upload)
    log.info("snapfront: %s: accepted into %s", upload.changes, upload.suite)
    return Result(upload.changes, upload.suite, "accepted", what)


def _aside(
    root: str,
    found: Found,
    name: str,
    upload: Upload | None,
    reason: str,
    dry_run: bool,
    saved: bytes | None = None,
) -> Result:
    """Take a rejected upload's files to incoming/rejected/STAMP-NAME/ with reason.json."""
    suite = upload.suite if upload else ""
    if dry_run:
        return Result(name, suite, "stale", f"would be taken aside: {reason}")
    present = os.listdir(incoming_dir(root))
    files = leftovers(upload, present, _others(found)) if upload else [name]
    when = time.time()
    top = rejected_dir(root)
    taken = os.listdir(top) if os.path.isdir(top) else []
    folder = os.path.join(top, aside_name(name, when, taken))
    os.makedirs(folder)
    for file in files:
        os.rename(os.path.join(incoming_dir(root), file), os.path.join(folder, file))
    if name not in files and saved is not None:  # reprepro deleted it: keep what was sent
        atomic_write(os.path.join(folder, name), saved)
        files.insert(0, name)
    record = {"changes": name, "suite": suite, "reason": reason, "when": when, "files": files}
    record |= {"source": upload.source if upload else "", "signed": bool(upload and upload.signed)}
    record |= {"version": upload.version if upload else ""}
    atomic_write(os.path.join(folder, REASON_FILE), json.dumps(record, indent=1).encode())
    log.warning("snapfront: %s: rejected, taken aside to %s: %s", name, folder, reason)
    return Result(name, suite, "rejected", reason)


def _others(found: Found) -> list[Upload]:
    return [u for u, _d in found.uploads]


def _remove(root: str, names: list[str]) -> None:
    for name in names:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(incoming_dir(root), name))


def _packages(root: str, suite: str) -> dict[str, str]:
    """The suite's packages; {} for a suite reprepro does not know (the upload is refused)."""
    try:
        return reprepro.packages(root, suite)
    except ToolError:
        return {}


def _changed_paths(root: str, upload: Upload) -> list[str]:
    """What an accepted upload changed that a cache may hold: its suite's dists/ (its new
    pool files were never there to cache: purge.decide leaves them out)."""
    return tree_files(os.path.join(root, "dists", upload.suite))


def recover(root: str, gnupghome: str | None) -> list[str]:
    """An upload interrupted (killed) part way: its suite's indexes written again, its files
    removed when reprepro had taken it in; the record then goes. Another operation's record
    is left to the command that wrote it, and nothing new starts."""
    try:
        intent = read_intent(root)
    except IntentUnreadable as exc:
        where = intent_path(root)
        raise Refused(f"{where}: {exc}: check the basedir, then move it aside") from None
    if intent is None:
        return []
    if intent.operation != OPERATION:
        raise Failed(
            f"an interrupted {intent.describe()} is recorded in {intent_path(root)}: "
            "run the command that made it to resolve it first"
        )
    suite, changes = str(intent.data["suite"]), str(intent.data["changes"])
    try:
        reprepro.export(root, suite, gnupghome)
        got, source = _packages(root, suite), str(intent.data["source"])
        there = intent.data["version"] in (got.get(SOURCE_PREFIX + source), got.get(source))
    except ToolError as exc:
        raise Failed(f"the interrupted {intent.describe()}: {first_line(exc)}") from None
    said = "its suite's indexes written again"
    if there and os.path.exists(os.path.join(incoming_dir(root), changes)):
        found = scan(root, time.time())
        mine = next((u for u, _d in found.uploads if u.changes == changes), None)
        if mine is not None:
            _remove(root, leftovers(mine, list(found.seen), _others(found)))
            said += ", it had been accepted: its files removed from incoming/"
    clear(root)
    line = f"snapfront: interrupted {intent.describe()}: {said}"
    log.warning("%s", line)
    return [line]
