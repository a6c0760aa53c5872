"""Small, hot files (Release, InRelease, Packages, small .debs, pages) served from memory.

Never stale: a cached copy answers only while an inline `os.stat` of the path still shows the
same device, inode, size and mtime_ns as when it was read. That holds with any number of
workers and without the watcher: each process checks the file itself on every request.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from snapfront.base.stamps import stat_stamp

MAX_FILE = 512 * 1024
BUDGET = 64 * 1024 * 1024

Stamp = tuple[int, int, int, int]


def stamp(st: os.stat_result) -> Stamp:
    """base.stamps' stamp and the device: a copy never outlives a remount under its path."""
    return (st.st_dev, *stat_stamp(st))


@dataclass(frozen=True)
class Cached:
    """A file's bytes and the headers of its plain 200, built once when it was read."""

    stat: os.stat_result
    data: bytes
    etag: str
    headers: dict[str, str]


class SmallFiles:
    """Path → bytes, bounded by a byte budget; oldest entries leave first."""

    def __init__(self, max_file: int = MAX_FILE, budget: int = BUDGET) -> None:
        self.max_file = max_file
        self.budget = budget
        self._entries: dict[str, Cached] = {}
        self._size = 0

    def lookup(self, path: str, variant: str = "") -> Cached | None:
        """`variant`: what else the kept headers depend on (the cache class: one snapshot
        file is immutable through its serial's URL, signed metadata through a timestamp's)."""
        key = f"{path}\0{variant}"
        entry = self._entries.get(key)
        if entry is None:
            return None
        try:
            current = os.stat(path)
        except OSError:
            self._drop(key)
            return None
        if stamp(current) != stamp(entry.stat):
            self._drop(key)
            return None
        return entry

    def holds(self, path: str, variant: str, entry: Cached) -> Callable[[], bool]:
        """A check, made once, that `lookup(path, variant)` still gives `entry`: one stat and
        a compare per call (the hot path's; a failed check leaves the dropping to lookup)."""
        key = f"{path}\0{variant}"
        kept = stamp(entry.stat)

        def check() -> bool:
            if self._entries.get(key) is not entry:
                return False
            try:
                return stamp(os.stat(path)) == kept
            except OSError:
                return False

        return check

    def peek(self, path: str, variant: str = "") -> Cached | None:
        """The entry kept for `path`, without looking at the disk (lookup does)."""
        return self._entries.get(f"{path}\0{variant}")

    def remember(
        self,
        path: str,
        fd: int,
        st: os.stat_result,
        etag: str,
        headers: dict[str, str],
        variant: str = "",
    ) -> Cached | None:
        """Read and keep a small file; None when it is too large or changed while read."""
        if st.st_size > self.max_file:
            return None
        data = os.pread(fd, st.st_size, 0)
        if len(data) != st.st_size or stamp(os.fstat(fd)) != stamp(st):
            return None
        key = f"{path}\0{variant}"
        self._drop(key)
        while self._entries and self._size + len(data) > self.budget:
            self._drop(next(iter(self._entries)))
        entry = Cached(st, data, etag, headers)
        self._entries[key] = entry
        self._size += len(data)
        return entry

    def _drop(self, path: str) -> None:
        entry = self._entries.pop(path, None)
        if entry is not None:
            self._size -= len(entry.data)
