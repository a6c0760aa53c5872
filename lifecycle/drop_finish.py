"""Finish a `drop-codename` that was killed part way (lifecycle.recover): the same idempotent
steps as lifecycle.drop, from the start, each one a no-op where it was done already."""

from __future__ import annotations

import os

from snapfront.base.errors import Failed

from .drop import _log_files, _own_files, _remove, _snapshot_of, _vanished
from .repo import Repo, plural


def finish(repo: Repo, codename: str) -> tuple[str, list[str]]:
    """clearvanished (while its package databases remain), export, the `s=CODENAME=*`
    references, deleteunreferenced, its files; what was done and the files it removed."""
    vanished = _vanished(repo)
    others = sorted(set(vanished) - {codename})
    if codename in vanished and others:
        raise Failed(f"clearvanished would also drop {', '.join(others)}")
    if codename in vanished:
        repo.reprepro("--delete", "clearvanished")
    repo.reprepro("export")
    refs = repo.references()
    snapshots = sorted({r for held in refs.values() for r in held if _snapshot_of(r, codename)})
    for referee in snapshots:
        repo.reprepro("_removereferences", referee)
    pool = repo.unreferenced()
    repo.reprepro("deleteunreferenced")
    files = _own_files(repo, codename) + _log_files(repo.root, codename)
    _remove(repo.root, os.path.join(repo.root, "dists", codename), files)
    gone = [repo.path(key) for key in pool if not os.path.lexists(repo.path(key))]
    said = (
        f"finished: dropped {codename} ({plural(len(snapshots), 'snapshot')} left to "
        f"unreference, {plural(len(files), 'file')} under dists/ and logs/, "
        f"{plural(len(gone), 'pool file')})"
    )
    return said, files + gone
