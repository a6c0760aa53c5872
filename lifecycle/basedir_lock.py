"""snapfront's own lock on a basedir: `flock` on the basedir directory itself (nothing is
created, so a refused command leaves the tree byte-identical), held for a whole command so two
`take`s never pick the same serial, `gc` never races `take`, and the intent record
(basedir.intent) is only ever written, resolved or removed by its holder.

Re-entrant within a process: the command line holds it while it resolves an interrupted
operation and runs the new one, whose own `Repo.locked()` then only counts. A lock held by a
killed process is released by the kernel, so it is never stale; reprepro's `db/lockfile` can
be (lifecycle.stale_lock).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator

_held: dict[str, list[int]] = {}  # real path → [fd, depth]


@contextlib.contextmanager
def hold(root: str, wait: bool = True) -> Iterator[None]:
    """Exclusive among snapfront processes on `root`; waits for the holder, or raises
    BlockingIOError at once when `wait` is False (the watcher never queues behind a command)."""
    key = os.path.realpath(root)
    entry = _held.get(key)
    if entry is not None:
        entry[1] += 1
        try:
            yield
        finally:
            entry[1] -= 1
        return
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        _held[key] = [fd, 1]
        try:
            yield
        finally:
            del _held[key]
    finally:
        os.close(fd)  # releases the lock


def holding(root: str) -> bool:
    """Whether this process holds the lock on `root` now."""
    return os.path.realpath(root) in _held
