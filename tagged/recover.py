"""The intent record of `tagged create` and its recovery. A tag is built aside, in a hidden
`ROOT/.TAG.partial-PID` (never served: hidden names are private), and renamed into place as
a whole; a create killed before the rename leaves that directory and its record, in the
tagged mount's state directory `ROOT/.snapfront` (hidden too), and the next `tagged create`
removes it first. The lock and the record are lifecycle's (basedir_lock, intent) on that
state directory: snapshots mounts' recovery never reads it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from collections.abc import Iterator

from snapfront.base.atomic import STATE_DIR
from snapfront.base.errors import Refused
from snapfront.basedir.intent import (
    IntentUnreadable,
    intent_path,
    interrupted,
    read_intent,
)
from snapfront.lifecycle import basedir_lock
from snapfront.lifecycle.intent import clear, leftover_temps

log = logging.getLogger("snapfront.tagged")

OPERATION = "tagged-create"
PARTIAL = ".{tag}.partial-{pid}"


def state_dir(root: str) -> str:
    return os.path.join(root, STATE_DIR)


def record_data(tag: str, aside: str) -> dict[str, str]:
    return {"tag": tag, "aside": os.path.basename(aside)}


@contextlib.contextmanager
def resolved_first(root: str, name: str) -> Iterator[tuple[str, ...]]:
    """Hold the tagged mount's lock for a whole command, an interrupted create resolved
    first (its line logged and yielded)."""
    state = state_dir(root)
    os.makedirs(state, exist_ok=True)
    with basedir_lock.hold(state):
        said = resolve(root, name)
        yield (said,) if said else ()


def pending_note(root: str, name: str) -> str | None:
    """What a command that changes nothing (`--dry-run`) says about an interrupted create."""
    state = state_dir(root)
    found = interrupted(state) if os.path.isdir(state) else None
    if found is None:
        return None
    return f"snapfront: {name}: interrupted {found.describe()}: the next create removes it"


def resolve(root: str, name: str) -> str | None:
    """Remove what an interrupted create left (the caller holds the lock); its line."""
    state = state_dir(root)
    try:
        intent = read_intent(state)
    except IntentUnreadable as exc:
        raise Refused(f"{intent_path(state)}: {exc}: check it, then move it aside") from None
    if intent is None:
        for temp in leftover_temps(state):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
        return None
    tag, aside = str(intent.data.get("tag", "")), str(intent.data.get("aside", ""))
    if intent.operation != OPERATION or not _one_name(tag) or not _one_name(aside):
        raise Refused(f"{intent_path(state)}: not a record `tagged create` wrote: move it aside")
    partial = os.path.join(root, aside)
    if os.path.lexists(partial):
        shutil.rmtree(partial)
    published = os.path.isdir(os.path.join(root, tag))
    clear(state)
    done = f"finished: {tag} had been published" if published else f"rolled back: removed {aside}"
    line = f"snapfront: {name}: interrupted {intent.describe()}: {done}"
    log.warning("%s", line)
    return line


def _one_name(name: str) -> bool:
    return bool(name) and "/" not in name and name not in (".", "..")
