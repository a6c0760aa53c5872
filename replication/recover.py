"""An interrupted `replicate` (killed part way): finished by the next run, undone without one.

The run records an intent (basedir.intent, operation `replicate`) naming the serials it
brings before it pulls anything; while the record exists those serials are no serials
(basedir.inventory leaves them out), so pages, trace and `/-/ready` never name them. Undoing
is removing rsync's staging directories and, when the pulled database copy matches the tree,
installing it whole (a kill between two of its files); then the record goes. Undone with no
run to follow (a promoted host: the watcher, or a `snapshot` command), the directories of
the serials it was bringing go too unless the database copy was installed with them: the
`--delay-updates` renames may have stopped half-way, and that database never knew them.
Undone before a run (keep), a serial whose files did not all arrive stays hidden: the next
run records the same serials again and brings the rest.

lifecycle.recover handles lifecycle's own operations only; every `replicate` run calls
`resolve` first under the basedir lock (keeping the record, which its own replaces in one
rename: there is no instant in which a half-arrived serial counts), and so should anything
that finds such a record on a host that was promoted (the watcher: generator.intents).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import time
from collections.abc import Iterator, Sequence

from snapfront.base.atomic import atomic_write
from snapfront.basedir.intent import Intent, intent_path, read_intent
from snapfront.lifecycle.intent import begin, clear

from . import database, local

log = logging.getLogger("snapfront.replication")
OPERATION = "replicate"


def resolve(root: str, name: str, keep: bool = False) -> tuple[str, ...]:
    """Under the basedir lock: undo an interrupted replicate; the serials it was bringing.
    `keep`: its record stays, for the caller's `recorded` to replace."""
    intent = read_intent(root)
    if intent is None or intent.operation != OPERATION:
        return ()
    cleaned = local.clean_staging(root)
    installed = database.install(root) if database.matches(root) else []
    dropped = []
    if not keep and not installed:  # no run follows: what arrived of them must go
        dropped = local.serial_dirs(root, frozenset(intent.serials))
        for directory in dropped:
            shutil.rmtree(directory)
    if not keep:
        clear(root)
    said = f"{cleaned} staging directories removed"
    said += ", database installed" if installed else ""
    said += f", {len(dropped)} directories of serials not all there removed" if dropped else ""
    log.warning("snapfront: %s: interrupted %s: undone (%s)", name, intent.describe(), said)
    return intent.serials


@contextlib.contextmanager
def recorded(root: str, serials: Sequence[str]) -> Iterator[None]:
    """A run's record, under the basedir lock, naming the serials it brings (an interrupted
    run's record replaced atomically); removed when the run ends, kept when it fails or is
    killed: what arrived stays hidden until a run has brought everything."""
    existing = read_intent(root)
    if existing is not None and existing.operation == OPERATION:
        intent = Intent(OPERATION, os.getpid(), time.time(), tuple(serials), {})
        atomic_write(intent_path(root), intent.to_json(), durable=True)
    else:
        begin(root, OPERATION, serials)  # Failed on another operation's record
    yield
    clear(root)
