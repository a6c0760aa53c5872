"""This host's side of a run: its tree as a listing, the manifest of what earlier runs
received, moving a file into quarantine, rsync's leftover staging directories."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time

from snapfront.base.atomic import STATE_DIR, atomic_write

from .plan import LOCAL_ONLY

STAGING = ".~tmp~"
"""rsync --delay-updates' staging directory, one per directory it updates."""
_TOP_ONLY = tuple(p.strip("/") for p in LOCAL_ONLY if p.startswith("/"))


def _skipped(rel: str, name: str) -> bool:
    return (rel == "." and name in _TOP_ONLY) or name == STAGING or name.endswith(".new")


def tree(root: str) -> dict[str, bool]:
    """Relative path → is a directory, for everything a run compares (local-only parts out)."""
    found: dict[str, bool] = {}
    for parent, dirs, files in os.walk(root):
        rel = os.path.relpath(parent, root)
        dirs[:] = [d for d in dirs if not _skipped(rel, d)]
        for name in dirs:
            full = os.path.join(parent, name)
            found[os.path.relpath(full, root)] = not os.path.islink(full)
        for name in files:
            if not _skipped(rel, name):
                found[os.path.relpath(os.path.join(parent, name), root)] = False
    return found


def staging_dirs(root: str) -> list[str]:
    """The `.~tmp~` directories a killed `--delay-updates` stage left (never served: hidden)."""
    found = []
    for parent, dirs, _files in os.walk(root):
        if parent == root:
            dirs[:] = [d for d in dirs if d not in _TOP_ONLY]
        if STAGING in dirs:
            found.append(os.path.join(parent, STAGING))
            dirs.remove(STAGING)
    return found


def serial_dirs(root: str, serials: frozenset[str]) -> list[str]:
    """The dists/CODENAME/snapshots/SERIAL directories of `serials` (slash codenames too)."""
    found = []
    for parent, dirs, _files in os.walk(os.path.join(root, "dists")):
        if os.path.basename(parent) == "snapshots":
            found += [os.path.join(parent, d) for d in dirs if d in serials]
            dirs[:] = []
    return found


def clean_staging(root: str) -> int:
    found = staging_dirs(root)
    for directory in found:
        shutil.rmtree(directory, ignore_errors=True)
    return len(found)


def manifest_path(output: str, module: str) -> str:
    return os.path.join(output, STATE_DIR, "replication", f"{module}.manifest.json")


def read_manifest(output: str, module: str) -> set[str]:
    """What earlier runs received from the active (empty before the first)."""
    try:
        with open(manifest_path(output, module), "rb") as fh:
            return set(json.load(fh))
    except (OSError, ValueError, TypeError):
        return set()


def write_manifest(output: str, module: str, paths: set[str]) -> None:
    data = json.dumps(sorted(paths), indent=0).encode()
    atomic_write(manifest_path(output, module), data, durable=True)


def quarantine(root: str, rel: str, directory: str, module: str, when: float) -> str:
    """Move ROOT/rel to QUARANTINE/MODULE/STAMP/rel (its relative path kept); the new path."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(when))
    dest = os.path.join(directory, module, stamp, rel)
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    shutil.move(os.path.join(root, rel), dest)
    return dest


def remove_file(root: str, rel: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(os.path.join(root, rel))


def remove_empty_dir(root: str, rel: str) -> bool:
    try:
        os.rmdir(os.path.join(root, rel))
    except OSError:
        return False  # not empty (a quarantined file's neighbours), or gone
    return True
