"""ETag and Last-Modified that every replica holding the same bytes agrees on.

Data files: mtime_ns and size (rsync -a preserves both; the inode is left out on purpose).
Generated files: a hash of the content, so two hosts that render the same page agree; their
mtime, and so their Last-Modified, is the newest date the page shows, set by the generator
when it writes them (generator.output_files.date_of), not the time of writing.
"""

from __future__ import annotations

import hashlib
import os

from snapfront.base.stamps import stat_stamp


def data_etag(st: os.stat_result) -> str:
    return f'"{st.st_mtime_ns:x}-{st.st_size:x}"'


def last_modified(st: os.stat_result, now: float) -> int:
    """Whole seconds; clamped to now only when the file's mtime lies in the future."""
    return int(min(st.st_mtime, now))


class ContentEtags:
    """Content-hash ETags of generated files, recomputed only when a file's stat changes."""

    def __init__(self, limit: int = 4096) -> None:
        self._known: dict[str, tuple[tuple[int, int, int], str]] = {}
        self._limit = limit

    def etag(self, path: str, fd: int, st: os.stat_result) -> str:
        stamp = stat_stamp(st)
        known = self._known.get(path)
        if known and known[0] == stamp:
            return known[1]
        digest = hashlib.sha256()
        offset = 0
        while chunk := os.pread(fd, 1 << 16, offset):
            digest.update(chunk)
            offset += len(chunk)
        tag = f'"{digest.hexdigest()[:32]}"'
        if len(self._known) >= self._limit:
            self._known.clear()
        self._known[path] = (stamp, tag)
        return tag
