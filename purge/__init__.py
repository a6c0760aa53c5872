"""The CDN purger: what a change touched → PURGE requests to every `[[cdn]]`, in a safe order.

Used by the watcher (each batch) and by the commands that change files (`snapfront build`,
`snapfront snapshot …`). It sits above the capabilities and below the server and generator,
and imports neither of those: a change carries the archives it needs (`Changes`).
"""

from .changes import Changes
from .purger import Purger, purge_now

__all__ = ["Changes", "Purger", "purge_now"]
