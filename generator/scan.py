"""Read a directory once (os.scandir) into frozen entries; nothing else touches the data roots.

Names the server would refuse are left out here too, so a page never links to a 404:
hidden names (rsync's .NAME.XXXXXX, .~tmp~), reprepro's NAME.new and lock files, and symlinks
that resolve outside their root.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

from rewrite_rules.resolve import LOCK_NAMES, TEMPORARY_SUFFIXES


@dataclass(frozen=True)
class Entry:
    name: str
    is_dir: bool
    size: int
    mtime_ns: int


def servable(name: str) -> bool:
    return not (name.startswith(".") or name.endswith(TEMPORARY_SUFFIXES) or name in LOCK_NAMES)


def scan(path: str, root: str) -> tuple[Entry, ...]:
    """The servable entries of `path` (a directory under `root`), in no particular order."""
    entries = []
    try:
        with os.scandir(path) as found:
            for item in found:
                if not servable(item.name):
                    continue
                try:
                    st = item.stat(follow_symlinks=True)
                except OSError:
                    continue  # a dangling link, or a file removed while we looked
                if item.is_symlink() and not _inside(os.path.realpath(item.path), root):
                    continue
                if stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode):
                    entries.append(
                        Entry(item.name, stat.S_ISDIR(st.st_mode), st.st_size, st.st_mtime_ns)
                    )
    except OSError:
        return ()
    return tuple(entries)


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")
