"""One file's identity for caches keyed on it: (inode, size, mtime_ns), or None when missing.

Parsed Release files, index diffs, floor dates, readiness facts and the render memo are all
reused only while their files keep the stamp they had: an atomic replace (new inode) or an
in-place rewrite (size or mtime) invalidates them, without reading a byte.
"""

from __future__ import annotations

import os

Stamp = tuple[int, int, int] | None


def stamp(path: str) -> Stamp:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)
