"""An interrupted `replicate` (killed part way): finished by the next run, undone without one.

The run records an intent (basedir.intent, operation `replicate`) naming the serials it
brings before it pulls anything; while the record exists those serials are no serials
(basedir.inventory leaves them out), so pages, trace and `/-/ready` never name them. Undoing
is removing rsync's staging directories and, when the pulled database copy matches the tree,
installing it whole (a kill between two of its files); then the record goes. A serial whose
files did not all arrive is then still no complete serial (the complete-serials rule), and
the next run, which records the same serials again, brings the rest.

lifecycle.recover handles lifecycle's own operations only; every `replicate` run calls
`resolve` first under the basedir lock, and so should anything that finds such a record on a
host that was promoted (the watcher: generator.intents).
"""

from __future__ import annotations

import logging

from snapfront.basedir.intent import read_intent
from snapfront.lifecycle.intent import clear

from . import database, local

log = logging.getLogger("snapfront.replication")
OPERATION = "replicate"


def resolve(root: str, name: str) -> tuple[str, ...]:
    """Under the basedir lock: undo an interrupted replicate; the serials it was bringing."""
    intent = read_intent(root)
    if intent is None or intent.operation != OPERATION:
        return ()
    cleaned = local.clean_staging(root)
    installed = database.install(root) if database.matches(root) else []
    clear(root)
    log.warning(
        "snapfront: %s: interrupted %s: undone (%d staging directories removed%s)",
        name, intent.describe(), cleaned, ", database installed" if installed else "",
    )  # fmt: skip
    return intent.serials
