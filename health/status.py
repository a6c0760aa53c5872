"""The `/-/status.json` document: pure, from the same facts readiness is decided on."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .model import Facts, Readiness


def status_document(
    facts: Facts, readiness: Readiness, version: str, workers: dict[str, Any]
) -> dict[str, Any]:
    now = facts.now
    mounts = []
    for mount in facts.mounts:
        mounts.append(
            {
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
                "valid_remaining_seconds": None
                if mount.valid_until is None
                else round(mount.valid_until - now, 3),
                "problem": mount.problem,
                "interrupted": mount.interrupted,
            }
        )
    watcher: dict[str, Any] = {"expected": facts.watcher.expected, "alive": facts.watcher.alive}
    purger: dict[str, Any] | None = None
    state = facts.watcher.state
    if facts.watcher.expected and state is not None:
        last = state.last_build
        watcher |= {
            "pid": state.pid,
            "started": _iso(state.started),
            "heartbeat_age_seconds": _since(now, state.heartbeat),
            "lag_seconds": round(state.lag, 3),
            "builds": state.builds,
            "failed_builds": state.failed_builds,
            "last_build": None
            if last is None
            else {
                "finished": _iso(last.finished),
                "ok": last.ok,
                "seconds": round(last.seconds, 3),
                "files_written": last.written,
                "pages_rendered": last.pages,
                "lag_seconds": round(last.lag, 3),
            },
        }
        purger = {
            "queue": state.purger.queue,
            "batches": state.purger.batches,
            "purged": state.purger.purged,
            "failed": state.purger.failed,
            "skipped": state.purger.skipped,
            "retries": state.purger.retries,
        }
    return {
        "role": facts.role,
        "version": version,
        "ready": readiness.ready,
        "reasons": list(readiness.reasons),
        "time": _iso(now),
        "mounts": mounts,
        "watcher": watcher,
        "purger": purger,
        "workers": workers,
        "output": {
            "writable": facts.unwritable is None,
            "problem": facts.unwritable,
        },
        "disk_free_bytes": dict(facts.free),
    }


def _iso(when: float | None) -> str | None:
    """RFC 3339 in UTC, whole seconds."""
    if when is None:
        return None
    moment = dt.datetime.fromtimestamp(when, dt.UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _since(now: float, when: float | None) -> float | None:
    return None if when is None else round(now - when, 3)
