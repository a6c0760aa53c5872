"""The `/-/status.json` document: pure, from the same facts readiness is decided on."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .model import Facts, MountFacts, Readiness, ReplicationFacts, WatcherFacts, serial_lag
from .watcher_file import LastBuild, PurgerState


def status_document(
    facts: Facts, readiness: Readiness, version: str, workers: dict[str, Any]
) -> dict[str, Any]:
    state = facts.watcher.state if facts.watcher.expected else None
    return {
        "role": facts.role,
        "version": version,
        "ready": readiness.ready,
        "reasons": list(readiness.reasons),
        "time": _iso(facts.now),
        "mounts": [_mount(mount, facts.now, facts.replication) for mount in facts.mounts],
        "watcher": _watcher(facts.watcher, facts.now),
        "purger": None if state is None else _purger(state.purger),
        "workers": workers,
        "output": {
            "writable": facts.unwritable is None,
            "problem": facts.unwritable,
        },
        "disk_free_bytes": dict(facts.free),
        "replication": _replication(facts.replication, facts.now),
    }


def _replication(pulled: ReplicationFacts | None, now: float) -> dict[str, Any] | None:
    """None without [replication]; else the last run, the last complete one, quarantine."""
    if pulled is None:
        return None
    state = pulled.state
    found: dict[str, Any] = {"source": pulled.source, "interval_seconds": pulled.interval}
    if state is None:
        return found | {"runs": 0, "last_complete": None, "quarantined_total": 0}
    return found | {
        "runs": state.runs,
        "failed_runs": state.failed_runs,
        "last_run": {
            "started": _iso(state.started),
            "finished": _iso(state.finished),
            "ok": state.ok,
            "error": state.error,
        },
        "last_complete": _iso(state.last_complete),
        "last_complete_age_seconds": _since(now, state.last_complete),
        "quarantined_total": state.quarantined_total,
        "quarantined": [
            {"mount": q.mount, "path": q.path, "moved_to": q.moved_to, "time": _iso(q.time)}
            for q in state.quarantined[-20:]
        ],
    }


def _mount(mount: MountFacts, now: float, pulled: ReplicationFacts | None) -> dict[str, Any]:
    found = {
        "url": mount.url,
        "kind": mount.kind,
        "newest_data": _iso(mount.newest),
        "newest_data_age_seconds": _since(now, mount.newest),
        "newest_data_path": mount.newest_path,
        "serials": mount.serials,
        "newest_serial": mount.serial,
        "newest_serial_taken": _iso(mount.taken),
        "newest_serial_age_seconds": _since(now, mount.taken),
        "valid_until": _iso(mount.valid_until),
        "valid_remaining_seconds": _until(now, mount.valid_until),
        "problem": mount.problem,
        "interrupted": mount.interrupted,
    }
    if pulled is not None:  # a replica: how far its newest serial is behind the active's
        found["replication_serial_lag_seconds"] = serial_lag(mount, pulled)
    return found


def _watcher(watcher: WatcherFacts, now: float) -> dict[str, Any]:
    """Whether one is expected and alive; what its state file says, when it is expected."""
    found: dict[str, Any] = {"expected": watcher.expected, "alive": watcher.alive}
    state = watcher.state
    if not watcher.expected or state is None:
        return found
    return found | {
        "pid": state.pid,
        "started": _iso(state.started),
        "heartbeat_age_seconds": _since(now, state.heartbeat),
        "lag_seconds": round(state.lag, 3),
        "builds": state.builds,
        "failed_builds": state.failed_builds,
        "last_build": None if state.last_build is None else _last_build(state.last_build),
    }


def _last_build(last: LastBuild) -> dict[str, Any]:
    return {
        "finished": _iso(last.finished),
        "ok": last.ok,
        "seconds": round(last.seconds, 3),
        "files_written": last.written,
        "pages_rendered": last.pages,
        "lag_seconds": round(last.lag, 3),
    }


def _purger(purger: PurgerState) -> dict[str, Any]:
    return {
        "queue": purger.queue,
        "batches": purger.batches,
        "purged": purger.purged,
        "failed": purger.failed,
        "skipped": purger.skipped,
        "retries": purger.retries,
    }


def _iso(when: float | None) -> str | None:
    """RFC 3339 in UTC, whole seconds."""
    if when is None:
        return None
    moment = dt.datetime.fromtimestamp(when, dt.UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _since(now: float, when: float | None) -> float | None:
    return None if when is None else round(now - when, 3)


def _until(now: float, when: float | None) -> float | None:
    return None if when is None else round(when - now, 3)
