"""Each suite's history of package lists: what every upload, merge and removal changed.

Kept in the basedir's db/ (never served), one JSON line per event and suite, appended under
the basedir lock; `suite merge` reads it to refuse re-adding what a suite once lost."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

HISTORY_DIR = "db/snapfront-history"


def record(
    basedir: Path,
    suite: str,
    event: str,
    before: Mapping[str, str],
    after: Mapping[str, str],
    when: float,
    detail: str = "",
) -> None:
    """Append one event: package → version before and after it."""
    folder = Path(basedir) / HISTORY_DIR
    folder.mkdir(parents=True, exist_ok=True)
    line = {"event": event, "when": when, "detail": detail}
    line |= {"before": dict(before), "after": dict(after)}
    with open(folder / f"{suite.replace('/', '_')}.jsonl", "a") as fh:
        fh.write(json.dumps(line, sort_keys=True) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
