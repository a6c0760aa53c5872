"""A run's outcome into OUTPUT/.snapfront/replication.json (health.replication_file), for
`/-/ready`, `/-/status.json` and the metrics of the serving processes."""

from __future__ import annotations

from dataclasses import replace

from snapfront.health import replication_file
from snapfront.health.replication_file import ReplicationState

from .run import MountRun


def record(
    output: str, started: float, finished: float, runs: list[MountRun] | None, error: str | None
) -> ReplicationState:
    """Add one run (`runs` None: it failed with `error`) to what the file says."""
    before = replication_file.read(output) or ReplicationState()
    ok = runs is not None
    moved = tuple(q for run in runs or () for q in run.quarantined)
    state = replace(
        before,
        started=started,
        finished=finished,
        ok=ok,
        error=error,
        last_complete=finished if ok else before.last_complete,
        runs=before.runs + 1,
        failed_runs=before.failed_runs + (not ok),
        mounts=tuple(r.replica for r in runs if r.replica) if runs else before.mounts,
        quarantined=before.quarantined + moved,
        quarantined_total=before.quarantined_total + len(moved),
    )
    replication_file.write(output, state)
    return state
