"""One file's identity for caches keyed on it: (inode, size, mtime_ns), or None when missing.

Parsed Release files, index diffs, floor dates, readiness facts, gpgv's verdicts, the render
memo, kept pool pages, content ETags and the small-file cache are all reused only while their
files keep the stamp they had: an atomic replace (new inode) or an in-place rewrite (size or
mtime) invalidates them, without reading a byte.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

Stamp = tuple[int, int, int] | None


def stat_stamp(st: os.stat_result) -> tuple[int, int, int]:
    """The stamp of a stat already taken (an open file's fstat, a directory checked as one)."""
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def stamp(path: str) -> Stamp:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return stat_stamp(st)


def stamps(directory: str, names: Iterable[str]) -> tuple[Stamp, ...]:
    """The stamps of the named files in `directory` (a Release family, a page's files)."""
    return tuple(stamp(os.path.join(directory, name)) for name in names)
