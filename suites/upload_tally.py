"""How many uploads a basedir accepted and rejected, ever: `db/snapfront.uploads.json`, written
under the basedir lock by whoever processed them (the watcher or `snapfront suite process`),
read at scrape time for `snapfront_uploads_total{mount,outcome}` (metrics.collector)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable

from snapfront.base.atomic import atomic_write

TALLY_REL = "db/snapfront.uploads.json"
OUTCOMES = ("accepted", "rejected")


def read(root: str) -> dict[str, int]:
    """Each outcome's count; zeros when nothing was processed yet (or the file is unreadable)."""
    try:
        with open(os.path.join(root, TALLY_REL), "rb") as fh:
            found = json.load(fh)
        return {o: int(found.get(o, 0)) for o in OUTCOMES}
    except (OSError, ValueError, TypeError, AttributeError):
        return dict.fromkeys(OUTCOMES, 0)


def add(root: str, outcomes: Iterable[str]) -> None:
    """Count these outcomes (the caller holds the basedir lock)."""
    counts = read(root)
    added = False
    for outcome in outcomes:
        counts[outcome] += 1
        added = True
    if added:
        data = (json.dumps(counts, sort_keys=True) + "\n").encode()
        atomic_write(os.path.join(root, TALLY_REL), data)
