"""What the last replication runs did: `OUTPUT/.snapfront/replication.json`, written
atomically by `snapfront replicate` (snapfront.replication), read by the serving processes
for `/-/ready`, `/-/status.json` and the metrics (a hidden name: never served)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field

from snapfront.base.atomic import STATE_DIR, atomic_write

NAME = "replication.json"
KEPT_QUARANTINED = 100
"""The newest quarantined files listed (their count is kept whole)."""


@dataclass(frozen=True)
class Quarantined:
    mount: str  # its URL
    path: str  # relative to the mount's root, where it was
    moved_to: str  # absolute, in the quarantine directory
    time: float


@dataclass(frozen=True)
class MountReplica:
    """One mount as the last run found the active: its newest serial (every codename has
    it) and that serial's InRelease mtime (rsync keeps it: the passive's copy has the same)."""

    url: str
    active_serial: str | None = None
    active_serial_time: float | None = None


@dataclass(frozen=True)
class ReplicationState:
    started: float | None = None  # the last run
    finished: float | None = None
    ok: bool = False
    error: str | None = None
    last_complete: float | None = None  # when the last run that succeeded finished
    runs: int = 0
    failed_runs: int = 0
    mounts: tuple[MountReplica, ...] = ()
    quarantined: tuple[Quarantined, ...] = ()  # the newest KEPT_QUARANTINED
    quarantined_total: int = 0
    extra: dict = field(default_factory=dict)


def path(output: str) -> str:
    return os.path.join(output, STATE_DIR, NAME)


def write(output: str, state: ReplicationState) -> None:
    data = asdict(state)
    data["quarantined"] = data["quarantined"][-KEPT_QUARANTINED:]
    atomic_write(path(output), (json.dumps(data, indent=1, sort_keys=True) + "\n").encode())


def read(output: str) -> ReplicationState | None:
    """The last recorded state; None before the first run (or when unreadable)."""
    try:
        with open(path(output), "rb") as fh:
            data = json.load(fh)
        data["mounts"] = tuple(MountReplica(**m) for m in data.get("mounts", ()))
        data["quarantined"] = tuple(Quarantined(**q) for q in data.get("quarantined", ()))
        return ReplicationState(**data)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
