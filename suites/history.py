"""Each suite's history: every upload, merge, reset, tag and outside change snapfront saw.

`BASEDIR/db/snapfront-history/SUITE.json` (names.HISTORY_DIR; db/ is never served and never
part of a replica's tree): the suite's last known packages (`state`, package → version as
suites.packages maps them: binaries by name, sources as `src:NAME`) and its events, oldest
first, each with what came and went: `changes` = [package, before or null, after or null].
A record rewrites the file atomically under a lock of its own (base.atomic), so a reader
never sees half an event and two writers never lose one.

Used by the re-add guard of `suite merge` (`lost`: every package the suite once had and
later lost) and shown on each suite's page (generator.suite_pages): the watcher hears the
file change (a repository mount is watched whole) and rebuilds that page (`suite_of`).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from snapfront.base.atomic import atomic_write

from .names import HISTORY_DIR

SUFFIX = ".json"
EVENTS = ("upload", "merge", "reset", "tag", "removal", "outside")
"""`outside`: packages that came (or changed) without snapfront; `removal`: only went."""


@dataclass(frozen=True)
class Event:
    event: str
    when: float
    changes: tuple[tuple[str, str | None, str | None], ...]
    detail: str = ""

    def to_json(self) -> dict[str, object]:
        return {"event": self.event, "when": self.when, "detail": self.detail,
                "changes": [list(c) for c in self.changes]}  # fmt: skip


@dataclass(frozen=True)
class History:
    state: Mapping[str, str] | None  # None: never recorded
    events: tuple[Event, ...] = ()

    def lost(self) -> frozenset[str]:
        """Every package some event removed (the re-add guard's list)."""
        return frozenset(p for e in self.events for p, _old, new in e.changes if new is None)


def changes(
    before: Mapping[str, str], after: Mapping[str, str]
) -> tuple[tuple[str, str | None, str | None], ...]:
    """What came, went or changed version, by package name. Pure."""
    names = sorted(before.keys() | after.keys())
    return tuple((n, before.get(n), after.get(n)) for n in names if before.get(n) != after.get(n))


def outside_event(changed: tuple[tuple[str, str | None, str | None], ...]) -> str:
    """A change snapfront did not make: `removal` when packages only went. Pure."""
    return "removal" if all(new is None for _p, _old, new in changed) else "outside"


def catch_up(basedir: Path | str, suite: str, now: Mapping[str, str]) -> History:
    """Record what changed without snapfront since the last record (an `outside` or `removal`
    event), so the next event's before is what the suite really held; the history before."""
    past = read(basedir, suite)
    pending = changes(past.state or {}, now)
    if pending:
        record(Path(basedir), suite, outside_event(pending), past.state or {}, now, time.time())
    return past


def history_file(basedir: Path | str, suite: str) -> Path:
    if "/" in suite or suite.startswith("."):
        raise ValueError(f"not a suite name: {suite!r}")
    return Path(basedir, HISTORY_DIR, f"{suite}{SUFFIX}")


def suite_of(rel: str) -> str | None:
    """The suite whose history file is `rel` (relative to the basedir), else None: how the
    watcher knows which suite's page to rebuild. Pure."""
    folder, _, name = rel.rpartition("/")
    if folder != HISTORY_DIR or not name.endswith(SUFFIX) or name.startswith("."):
        return None
    return name.removesuffix(SUFFIX) or None


def read(basedir: Path | str, suite: str) -> History:
    """The suite's history; empty (state None) when nothing was ever recorded."""
    try:
        data = json.loads(history_file(basedir, suite).read_bytes())
    except FileNotFoundError:
        return History(None)
    events = tuple(
        Event(str(e["event"]), float(e["when"]),
              tuple((str(p), o, n) for p, o, n in e["changes"]), str(e.get("detail", "")))
        for e in data.get("events", ())
    )  # fmt: skip
    return History(dict(data.get("state") or {}), events)


def record(
    basedir: Path,
    suite: str,
    event: str,
    before: Mapping[str, str],
    after: Mapping[str, str],
    when: float,
    detail: str = "",
) -> None:
    """Append one event (what changed from `before` to `after`) and keep `after` as the state;
    nothing when nothing changed."""
    path = history_file(basedir, suite)
    with _locked(path.parent):
        old = read(basedir, suite)
        changed = changes(before, after)
        events = old.events + ((Event(event, when, changed, detail),) if changed else ())
        data = {"suite": suite, "state": dict(sorted(after.items())),
                "events": [e.to_json() for e in events]}  # fmt: skip
        atomic_write(str(path), (json.dumps(data, indent=1) + "\n").encode(), durable=True)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
