"""Write the intent record (basedir.intent) around what an operation changes, and give its
data types: what lifecycle.recover needs to finish or undo that operation after a SIGKILL.

`recorded(root, …)` writes the record durably (base.atomic, fsync'ed) under the basedir lock
before the first change, and removes it once the basedir is consistent again: done, refused
(nothing changed), or failed after the operation put things back itself. `Unresolved` (the
operation could not undo itself) and any other exception leave it for the next command.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from snapfront.base.atomic import atomic_write, sync_dir
from snapfront.base.errors import Failed, Refused
from snapfront.basedir.intent import (
    INTENT_NAME,
    Intent,
    IntentUnreadable,
    intent_path,
    read_intent,
)

from .basedir_lock import holding


class Unresolved(Failed):
    """Failed and could not put everything back: the record stays for the next command."""


@dataclass(frozen=True)
class PlannedFile:
    """One file a bump or resign replaces: `temp` (written first) then renamed over `path`;
    both relative to the basedir; `sha256` of the new bytes."""

    path: str
    temp: str
    sha256: str


@contextlib.contextmanager
def recorded(
    root: str, operation: str, serials: Sequence[str] = (), data: Mapping[str, Any] | None = None
) -> Iterator[Intent]:
    """The record exists for the duration of the block (the caller holds the basedir lock)."""
    intent = begin(root, operation, serials, data)
    try:
        yield intent
    except Unresolved:
        raise
    except (Refused, Failed):
        clear(root)
        raise
    clear(root)


def begin(
    root: str, operation: str, serials: Sequence[str] = (), data: Mapping[str, Any] | None = None
) -> Intent:
    """Write the record before the first change; Failed when one is there already (an
    interrupted operation not yet resolved: the command line resolves it first)."""
    if not holding(root):
        raise RuntimeError(f"{root}: an intent record is written under the basedir lock only")
    try:
        existing = read_intent(root)
    except IntentUnreadable as exc:
        raise Refused(f"{intent_path(root)}: {exc}") from None
    if existing is not None:
        raise Failed(
            f"an interrupted {existing.describe()} is recorded in {intent_path(root)}: "
            "run a `snapfront snapshot` command to resolve it first"
        )
    intent = Intent(operation, os.getpid(), time.time(), tuple(serials), dict(data or {}))
    atomic_write(intent_path(root), intent.to_json(), durable=True)
    return intent


def clear(root: str) -> None:
    """Remove the record (and leftovers of one being written when its writer was killed)."""
    path = intent_path(root)
    for leftover in [path, *leftover_temps(root)]:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(leftover)
    sync_dir(os.path.dirname(path))


def leftover_temps(root: str) -> list[str]:
    """Temp files of a record whose writer was killed while writing it."""
    folder = glob.escape(os.path.dirname(intent_path(root)))
    return glob.glob(os.path.join(folder, f".{INTENT_NAME}.*.tmp"))


# --- each operation's data ----------------------------------------------------------------


def take_data(root: str, created: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """(codename, the topmost directory its gensnapshot may create), relative to `root`."""
    return {"created": [[codename, os.path.relpath(top, root)] for codename, top in created]}


def created_of(root: str, intent: Intent) -> list[tuple[str, str]]:
    return [(str(c), _inside(root, str(top))) for c, top in intent.data.get("created", ())]


def files_data(root: str, files: Sequence[tuple[str, str, bytes]]) -> dict[str, Any]:
    """(path, temp, new bytes) of each replacement, in rename order."""
    return {
        "files": [
            {
                "path": os.path.relpath(path, root),
                "temp": os.path.relpath(temp, root),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
            for path, temp, data in files
        ]
    }


def files_of(root: str, intent: Intent) -> list[PlannedFile]:
    return [
        PlannedFile(_inside(root, f["path"]), _inside(root, f["temp"]), str(f["sha256"]))
        for f in intent.data.get("files", ())
    ]


def gc_data(remove: Sequence[tuple[str, str]]) -> dict[str, Any]:
    return {"remove": [[codename, serial] for codename, serial in remove]}


def removals_of(intent: Intent) -> list[tuple[str, str]]:
    return [(str(c), str(s)) for c, s in intent.data.get("remove", ())]


def drop_data(codename: str) -> dict[str, Any]:
    return {"codename": codename}


def codename_of(intent: Intent) -> str:
    return str(intent.data.get("codename", ""))


def _inside(root: str, rel: str) -> str:
    """An absolute path under `root`; IntentUnreadable for one that would leave it."""
    path = os.path.normpath(os.path.join(root, rel))
    if os.path.isabs(rel) or not path.startswith(os.path.normpath(root) + os.sep):
        raise IntentUnreadable(f"{rel!r} is not under the basedir")
    return path
