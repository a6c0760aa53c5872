"""The watcher's status file: `OUTPUT/.snapfront/watcher.json`, written atomically.

The watcher runs in a process of its own; serving processes learn how it is doing only from
this file (hidden names are never served). A heartbeat thread rewrites it every few seconds,
so a stale heartbeat (or a pid that is gone) means the watcher is dead.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field

from snapfront.base.atomic import STATE_DIR, atomic_write

NAME = "watcher.json"


@dataclass(frozen=True)
class LastBuild:
    finished: float  # epoch seconds
    ok: bool
    seconds: float
    written: int  # output files written
    pages: int  # pages, feeds and traces rendered
    lag: float = 0.0  # seconds from the batch's first change to the end of its build


@dataclass(frozen=True)
class PurgerState:
    queue: int = 0  # batches waiting or purging
    batches: int = 0
    purged: int = 0
    failed: int = 0
    skipped: int = 0
    retries: int = 0


@dataclass(frozen=True)
class WatcherState:
    pid: int
    started: float
    heartbeat: float
    builds: int = 0
    failed_builds: int = 0
    lag: float = 0.0  # seconds the oldest change not yet built has waited
    last_build: LastBuild | None = None
    purger: PurgerState = field(default_factory=PurgerState)


def path(output: str) -> str:
    return os.path.join(output, STATE_DIR, NAME)


def write(output: str, state: WatcherState) -> None:
    atomic_write(path(output), json.dumps(asdict(state), sort_keys=True).encode())


def read(output: str) -> WatcherState | None:
    """The last state written; None when there is none or it cannot be read."""
    try:
        with open(path(output), "rb") as fh:
            data = json.load(fh)
        last = data.pop("last_build", None)
        purger = data.pop("purger", None) or {}
        return WatcherState(
            **data,
            last_build=LastBuild(**last) if last else None,
            purger=PurgerState(**purger),
        )
    except (OSError, ValueError, TypeError):
        return None
