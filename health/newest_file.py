"""Each mount's newest data as the last build saw it: `OUTPUT/.snapfront/newest.json`.

A passive host gets its files by rsync (`-a` keeps mtimes), so the newest mtime under a root
says how old its copy is, and the same number on both hosts says they hold the same data.
Walking a release tree per probe would cost a stat per file; the builder already scanned
every directory (generator.newest), so it writes the answer here and the serving processes
read one small file (health.facts).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from snapfront.base.atomic import STATE_DIR, atomic_write

NAME = "newest.json"


@dataclass(frozen=True)
class Newest:
    mtime_ns: int  # the newest mtime among the servable files and directories under the root
    path: str  # that entry, relative to the root ("" for the root itself)


def path(output: str) -> str:
    return os.path.join(output, STATE_DIR, NAME)


def write(output: str, found: dict[str, Newest]) -> None:
    """Record `found` (mount URL → Newest); the file is rewritten only when it changes."""
    data = json.dumps(
        {url: {"mtime_ns": n.mtime_ns, "path": n.path} for url, n in found.items()},
        sort_keys=True,
    ).encode()
    try:
        with open(path(output), "rb") as fh:
            if fh.read() == data:
                return
    except OSError:
        pass
    atomic_write(path(output), data)


def read(output: str) -> dict[str, Newest]:
    """What the last build recorded; empty when nothing was (no build yet, unreadable)."""
    try:
        with open(path(output), "rb") as fh:
            data = json.load(fh)
        return {url: Newest(int(v["mtime_ns"]), str(v["path"])) for url, v in data.items()}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}
