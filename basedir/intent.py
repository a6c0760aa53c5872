"""The intent record a lifecycle operation leaves in its basedir while it changes it, as read by
everyone (the server, the pages, health, `snapshot list`); lifecycle.intent writes it.

`ROOT/db/snapfront.intent`: JSON naming the operation, its process and what it is about to do,
written atomically before the first change and removed when the basedir is consistent again.
In db/ beside reprepro's own `lockfile`: never served, never part of a replica's tree. While it
exists, the serial a `take` creates is no serial yet (basedir.inventory leaves it out), so
nothing is listed or served until the take has verified every codename of it. Whether its
operation still runs is asked of snapfront's basedir lock (flock on ROOT): held means running;
free means the process died (SIGKILL, OOM, power) and the record is an interrupted operation.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from snapfront.base.stamps import Stamp, stamp

log = logging.getLogger(__name__)

SUITE_OPERATIONS = ("suite-sync", "suite-change")
"""Resolved by snapfront.suites.recover (`snapfront suite` commands), not by the lifecycle."""
INTENT_NAME = "snapfront.intent"
INTENT_REL = f"db/{INTENT_NAME}"
"""Relative to the basedir: where the watcher looks for it."""
KNOWN_OPERATIONS = ("take", "bump", "resign", "gc", "drop-codename", *SUITE_OPERATIONS)
KNOWN_OPERATIONS += ("upload", "tagged-create", "replicate")
"""tagged-create's record is in a tagged mount's ROOT/.snapfront/db/ (snapfront.tagged.recover);
upload's in a repository's db/ (snapfront.suites.uploads); replicate's on a passive host
(snapfront.replication.recover)."""
RESOLVED_BY = {"suite-sync": "snapfront suite", "suite-change": "snapfront suite"}
RESOLVED_BY |= {"upload": "snapfront suite process", "tagged-create": "snapfront tagged create"}
RESOLVED_BY |= {"replicate": "snapfront replicate"}
"""The operations the lifecycle does not resolve itself → the command that does."""
ARRIVING = ("take", "replicate")
"""Operations whose serials are no serials until their record is gone: a take creates them,
a replication run on a passive host is bringing their files."""


class IntentUnreadable(ValueError):
    """The record exists but is not one snapfront wrote (edited by hand, or a newer format)."""


@dataclass(frozen=True)
class Intent:
    """One operation's plan: `serials` it acts on (a take: the one it creates), `data` what
    its recovery needs (lifecycle.intent gives it types)."""

    operation: str
    pid: int
    started: float
    serials: tuple[str, ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(self.started))
        shown = [*self.serials[:3], *(["…"] if len(self.serials) > 3 else [])]
        what = " ".join((self.operation, *shown))
        return f"{what} (pid {self.pid}, started {when})"

    def to_json(self) -> bytes:
        fields = {"operation": self.operation, "pid": self.pid, "started": self.started}
        fields |= {"serials": list(self.serials), "data": dict(self.data)}
        return (json.dumps(fields, indent=1, sort_keys=True) + "\n").encode()


def intent_path(root: str) -> str:
    return os.path.join(root, INTENT_REL)


def parse(data: bytes) -> Intent:
    """An Intent from the record's bytes; IntentUnreadable when it is not one."""
    try:
        fields = json.loads(data)
        intent = Intent(
            operation=str(fields["operation"]),
            pid=int(fields["pid"]),
            started=float(fields["started"]),
            serials=tuple(str(s) for s in fields.get("serials", ())),
            data=dict(fields.get("data", {})),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise IntentUnreadable(f"not a snapfront intent record ({exc})") from None
    if intent.operation not in KNOWN_OPERATIONS:
        raise IntentUnreadable(f"unknown operation {intent.operation!r}")
    return intent


def read_intent(root: str) -> Intent | None:
    """The record, None when there is none; IntentUnreadable when it cannot be parsed."""
    try:
        with open(intent_path(root), "rb") as fh:
            data = fh.read()
    except (FileNotFoundError, NotADirectoryError):
        return None
    return parse(data)


_memo: dict[str, tuple[Stamp, frozenset[str]]] = {}


def creating(root: str) -> frozenset[str]:
    """The serials a take (or a replication run) recorded here is creating: not serials until
    it is done. One stat when nothing changed (the server asks on every unknown serial)."""
    path = intent_path(root)
    key = stamp(path)
    memo = _memo.get(root)
    if memo is not None and memo[0] == key:
        return memo[1]
    found: frozenset[str] = frozenset()
    if key is not None:
        try:
            intent = read_intent(root)
        except (IntentUnreadable, OSError) as exc:
            log.warning("%s: %s", path, exc)
            intent = None
        if intent is not None and intent.operation in ARRIVING:
            found = frozenset(intent.serials)
    if len(_memo) > 1024:
        _memo.clear()
    _memo[root] = (key, found)
    return found


def running(root: str) -> bool:
    """Whether a snapfront operation holds the basedir's lock now (a shared probe, never
    waiting: an operation asking for the lock meanwhile waits microseconds)."""
    try:
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)  # releases the probe
    return False


def interrupted(root: str) -> Intent | None:
    """The record of an operation that no longer runs, or None (none, or still running)."""
    try:
        intent = read_intent(root)
    except (IntentUnreadable, OSError) as exc:
        log.warning("%s: %s", intent_path(root), exc)
        return None
    if intent is None or running(root):
        return None
    return intent
