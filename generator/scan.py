"""Read a directory once (os.scandir) into frozen entries; nothing else lists the data roots.

Only what the server would serve is kept, so a page never links to a 404: names it refuses
(hidden, reprepro's NAME.new, lock files) and entries that *resolve* outside their root or
where the mount's rule serves nothing (`rewrite_rules.confine`: a symlink in pool/ to conf/).
FIFOs, sockets and devices are left out too, and so are directory links to the directory
itself or one of its parents (`loop -> .`): pages below one would never end.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

from snapfront.base.confined import real_root
from snapfront.rewrite_rules import Mount
from snapfront.rewrite_rules.confine import may_serve, private_name, relative


@dataclass(frozen=True)
class Entry:
    name: str
    is_dir: bool
    size: int
    mtime_ns: int


def scan(path: str, mount: Mount) -> tuple[Entry, ...]:
    """The servable entries of `path` (a directory under `mount.root`), in no particular order."""
    root = real_root(mount.root)
    here = relative(os.path.realpath(path), root)
    if here is None:
        return ()
    entries = []
    try:
        with os.scandir(path) as found:
            for item in found:
                if private_name(item.name):
                    continue
                try:
                    st = item.stat(follow_symlinks=True)
                except OSError:
                    continue  # a dangling link, or a file removed while we looked
                is_dir = stat.S_ISDIR(st.st_mode)
                if not (is_dir or stat.S_ISREG(st.st_mode)):
                    continue
                rel = (
                    relative(os.path.realpath(item.path), root)
                    if item.is_symlink()
                    else (*here, item.name)
                )
                if rel is None or not may_serve(mount.kind, rel, is_dir):
                    continue
                if is_dir and here[: len(rel)] == rel:
                    continue  # a link to this directory or above it: a loop, not a folder
                entries.append(Entry(item.name, is_dir, st.st_size, st.st_mtime_ns))
    except OSError:
        return ()
    return tuple(entries)
