"""Proof that a path still names nothing, checked with one stat: the server repeats a 404 for
an unknown serial while its proof holds (server.origin, server.hot).

Nothing can appear at a missing path without an entry being created in its nearest existing
ancestor directory (mkdir, a rename into place, a symlink: reprepro's gensnapshot makes
dists/CODENAME/snapshots/SERIAL there), and that changes the directory's mtime; replacing the
directory, or anything above it, or a symlink on the way, makes the path resolve to another
inode. So the stamp of that ancestor, taken *before* the path is seen missing, stays the same
exactly as long as the path stays missing, with two exceptions handled here:

- an entry already there that resolves to nothing (a dangling symlink, a file where a
  directory should be) can come to resolve without its directory changing: no proof then;
- a directory changed within RACY_NS of now may change again within the same timestamp tick
  (a coarse clock, a filesystem with second granularity) and keep its mtime: no proof until
  it is older (the caller checks the slow way meanwhile).
"""

from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass

from snapfront.base.stamps import stat_stamp
from snapfront.basedir.release import snapshot_dir

RACY_NS = 3_000_000_000
"""A directory's mtime this recent cannot prove the next change will show (2 s FAT granularity
and a clock tick, with room)."""


@dataclass(frozen=True, slots=True)
class Absence:
    directory: str
    stamp: tuple[int, int, int]

    def holds(self) -> bool:
        """Whether the path is still missing (one stat)."""
        try:
            return stat_stamp(os.stat(self.directory)) == self.stamp
        except OSError:
            return False


def absence(path: str) -> Absence | None:
    """A proof that nothing is at `path` (absolute) while it holds; None when something is,
    or its nearest existing directory changed too recently to tell."""
    missing = path
    while True:
        parent = os.path.dirname(missing)
        if parent == missing:
            return None
        try:
            st = os.stat(parent)  # first: an entry made after this changes the stamp
        except OSError:
            missing = parent
            continue
        if not stat.S_ISDIR(st.st_mode) or time.time_ns() - st.st_mtime_ns < RACY_NS:
            return None
        if os.path.lexists(missing):
            return None  # there is an entry, but it leads nowhere (yet)
        return Absence(parent, stat_stamp(st))


def serial_absent(root: str, codenames: tuple[str, ...], serial: str) -> tuple[Absence, ...] | None:
    """Proofs that none of `codenames` has a directory for snapshot `serial` (so none has it
    signed: basedir.inventory.codenames_with_serial); None when one has a directory, even a
    half-written one, or a proof cannot be had now."""
    proofs = []
    for codename in codenames:
        proof = absence(os.path.abspath(snapshot_dir(root, codename, serial)))
        if proof is None:
            return None
        proofs.append(proof)
    return tuple(proofs)
