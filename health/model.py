"""Readiness as a pure decision over a snapshot of facts (gathered by health.facts).

`/-/ready` is answered from `decide(facts, thresholds)`: no I/O here, so every condition is
unit-tested with plain values. The stable body tokens (`ready`, `not-ready: REASON`) are for
probes that match a string (WMF's discovery, Route 53); the status code for those that don't.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from snapfront.base.ops_config import Health
from snapfront.base.units import show_duration

from .replication_file import ReplicationState
from .watcher_file import WatcherState

WATCHER_STALE = 30.0
"""Seconds without a heartbeat (written every HEARTBEAT_SECONDS) after which the watcher
counts as dead even if its pid exists (stopped, or stuck in D state)."""
RETRY_AFTER = 30
"""Seconds in Retry-After: APT >= 2.9.12 waits that long at most per retry anyway."""


@dataclass(frozen=True)
class MountFacts:
    """A mount's newest data: for a snapshots mount its newest complete, signed serial (as
    the trace file names it), for the others the newest mtime the last build saw."""

    url: str
    serial: str | None = None
    taken: int | None = None  # epoch seconds: see taken_at
    valid_until: int | None = None  # the earliest Valid-Until among its codenames
    serials: int = 0  # serials on disk (complete or not)
    problem: str | None = None  # why the facts could not be read (gpgv missing ...)
    kind: str = "snapshots"
    newest: float | None = None  # epoch seconds: `taken`, or the newest mtime under the root
    newest_path: str | None = None  # what is that new, relative to the root (not snapshots)
    interrupted: str | None = None  # an operation on the mount killed part way, until resolved
    signed: int | None = None  # the newest serial's InRelease mtime (rsync keeps it)


@dataclass(frozen=True)
class WatcherFacts:
    expected: bool  # False for `serve --no-watch`
    alive: bool = False
    state: WatcherState | None = None


@dataclass(frozen=True)
class ReplicationFacts:
    """A host with [replication]: what its runs recorded (None before the first)."""

    source: str
    interval: float
    state: ReplicationState | None = None


@dataclass(frozen=True)
class Facts:
    now: float
    role: str
    mounts: tuple[MountFacts, ...] = ()
    watcher: WatcherFacts = WatcherFacts(expected=False)
    unwritable: str | None = None  # why the output directory cannot be written, or None
    free: tuple[tuple[str, int], ...] = field(default=())  # (path, bytes available)
    replication: ReplicationFacts | None = None


@dataclass(frozen=True)
class Readiness:
    ready: bool
    role: str
    reasons: tuple[str, ...] = ()

    @property
    def status(self) -> int:
        return 200 if self.ready else 503

    def body(self) -> str:
        """One line: `ready (role active)` or `not-ready: REASON; REASON (role passive)`."""
        head = "ready" if self.ready else "not-ready: " + "; ".join(self.reasons)
        return f"{head} (role {self.role})\n"


def decide(facts: Facts, health: Health, stale_after: float = WATCHER_STALE) -> Readiness:
    """Ready unless data, watcher, output or disk say otherwise; every failing reason listed."""
    reasons: list[str] = []
    now = facts.now
    for mount in facts.mounts:
        reasons += _freshness(mount, now, health)
    watcher = facts.watcher
    if watcher.expected:
        state = watcher.state
        if state is None or not watcher.alive:
            reasons.append("watcher dead")
        elif now - state.heartbeat > stale_after:
            reasons.append(
                f"watcher dead (no heartbeat for {show_duration(now - state.heartbeat)})"
            )
        elif state.last_build is not None and not state.last_build.ok:
            reasons.append("watcher's last build failed")
    reasons += _replication(facts, health)
    if facts.unwritable:
        reasons.append(f"output not writable: {facts.unwritable}")
    for path, free in facts.free:
        if free < health.min_free:
            reasons.append(f"{path}: {_size(free)} free (min_free {_size(health.min_free)})")
    return Readiness(not reasons, facts.role, tuple(reasons))


def _replication(facts: Facts, health: Health) -> list[str]:
    """A passive host whose last complete replication run is older than max_replication_lag
    (three intervals by default): its copy may be far behind, so it should not take over."""
    pulled = facts.replication
    if pulled is None or facts.role != "passive" or health.max_replication_lag is None:
        return []
    last = pulled.state.last_complete if pulled.state else None
    limit = show_duration(health.max_replication_lag)
    if last is None:
        return [f"replication: no complete run yet (max_replication_lag {limit})"]
    age = facts.now - last
    if age <= health.max_replication_lag:
        return []
    return [
        f"replication: last complete run {show_duration(age)} ago (max_replication_lag {limit})"
    ]


def serial_lag(mount: MountFacts, pulled: ReplicationFacts | None) -> float | None:
    """How far a passive's newest serial is behind the active's, as its last run saw the
    active (0 when it has it); None when unknown (no run, no serials)."""
    if pulled is None or pulled.state is None:
        return None
    for replica in pulled.state.mounts:
        if replica.url == mount.url and replica.active_serial_time is not None:
            if mount.signed is None:
                return None
            return max(0.0, replica.active_serial_time - mount.signed)
    return None


def _freshness(mount: MountFacts, now: float, health: Health) -> list[str]:
    """Snapshots mounts only: a release tree may rightly stay unchanged for weeks, so its
    newest data's age is reported (status.json, metrics), never a reason to fail over."""
    if mount.kind != "snapshots":
        return []
    if mount.problem:
        return [f"{mount.url}: {mount.problem}"]
    if mount.serial is None:
        return [f"{mount.url}: no complete signed serial"] if mount.serials else []
    found = []
    if health.max_serial_age is not None and mount.taken is not None:
        age = now - mount.taken
        if age > health.max_serial_age:
            limit = show_duration(health.max_serial_age)
            found.append(
                f"{mount.url}: newest serial {mount.serial} is {show_duration(age)} old "
                f"(max_serial_age {limit})"
            )
    if mount.valid_until is not None:
        left = mount.valid_until - now
        if left < health.min_valid_for:
            expiry = "expired" if left <= 0 else f"expires in {show_duration(left)}"
            found.append(
                f"{mount.url}: serial {mount.serial} {expiry} (Valid-Until; "
                f"min_valid_for {show_duration(health.min_valid_for)})"
            )
    return found


def _size(count: int) -> str:
    for unit, scale in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} B"
