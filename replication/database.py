"""reprepro's database on a replica: a copy taken where nothing writes it, installed only
with the tree it describes.

Copying `db/*.db` while reprepro writes them gives Berkeley DB files that need not agree with
each other or with the tree. So the active copies them (the rsync module's `pre-xfer exec`,
when a replica asks for `db/snapfront-replica/`) while it holds snapfront's basedir lock (no
take, bump or gc runs) and reprepro's own `db/lockfile` (no reprepro runs: it refuses to start
while the file exists), and records beside the copy the size and mtime of every file under
`dists/` and `conf/` at that moment. A replica installs the copy into its own `db/` only when
its `dists/` and `conf/` are exactly that (rsync keeps sizes and mtimes): a database and a
tree from the same instant, whatever happened on the active between the stages. Otherwise
the run pulls again; its previous, consistent database stays meanwhile.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Iterator

from snapfront.base.atomic import atomic_write, sync_dir
from snapfront.base.errors import Failed
from snapfront.rewrite_rules.export_rsyncd import DB_COPY

TREE = "tree.json"
DESCRIBED = ("dists", "conf")
SKIPPED = ("lockfile", "snapfront.intent")
DIRECTORIES = ("snapfront-history",)
"""snapfront's own directories in db/ that travel with it (each suite's history: a promoted
host's merges keep their re-add guard)."""
LOCK_WAIT = 60.0  # seconds a copy waits for a running reprepro


def fingerprint(root: str) -> dict[str, list[int]]:
    """Relative path → [size, whole-second mtime] of the files under dists/ and conf/."""
    found: dict[str, list[int]] = {}
    for top in DESCRIBED:
        for parent, dirs, files in os.walk(os.path.join(root, top)):
            dirs[:] = [d for d in dirs if d != ".~tmp~"]
            for name in files:
                if name.endswith(".new") or name.startswith("."):
                    continue
                full = os.path.join(parent, name)
                info = os.lstat(full)
                found[os.path.relpath(full, root)] = [info.st_size, int(info.st_mtime)]
    return found


@contextlib.contextmanager
def reprepro_locked(root: str, wait: float = LOCK_WAIT) -> Iterator[None]:
    """Hold reprepro's own db/lockfile (created O_EXCL, as reprepro does)."""
    path = os.path.join(root, "db", "lockfile")
    deadline = time.monotonic() + wait
    while True:
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
            break
        except FileExistsError:
            if time.monotonic() > deadline:
                raise Failed(f"{path}: reprepro still runs after {wait:g} s") from None
            time.sleep(0.2)
    try:
        yield
    finally:
        os.unlink(path)


def make_copy(root: str) -> str:
    """The active's side: a fresh copy of db/ and the tree it describes (the caller holds
    snapfront's basedir lock); the copy's directory."""
    db = os.path.join(root, "db")
    final = os.path.join(root, DB_COPY)
    fresh, old = final + ".new", final + ".old"
    for leftover in (fresh, old):
        shutil.rmtree(leftover, ignore_errors=True)
    os.makedirs(fresh)
    with reprepro_locked(root):
        for name in sorted(os.listdir(db)):
            full = os.path.join(db, name)
            if name in SKIPPED or name.startswith("."):
                continue
            if name in DIRECTORIES and os.path.isdir(full):  # snapfront's own, in db/
                shutil.copytree(full, os.path.join(fresh, name), symlinks=True)
            elif os.path.isfile(full):
                shutil.copy2(full, os.path.join(fresh, name))
        tree = json.dumps(fingerprint(root), sort_keys=True).encode()
    atomic_write(os.path.join(fresh, TREE), tree, durable=True)
    if os.path.exists(final):
        os.rename(final, old)
    os.rename(fresh, final)
    shutil.rmtree(old, ignore_errors=True)
    sync_dir(db)
    return final


def matches(root: str) -> bool:
    """Whether the copy pulled here describes exactly this host's dists/ and conf/."""
    try:
        with open(os.path.join(root, DB_COPY, TREE), "rb") as fh:
            described = json.load(fh)
    except (OSError, ValueError):
        return False
    return described == fingerprint(root)


def install(root: str) -> list[str]:
    """Copy the pulled database into db/ (the caller holds the basedir lock, and checked
    `matches`); each file replaced atomically. The names installed."""
    copy = os.path.join(root, DB_COPY)
    db = os.path.join(root, "db")
    installed = []
    for name in sorted(os.listdir(copy)):
        if name == TREE or name.startswith("."):
            continue
        temp = os.path.join(db, f".{name}.snapfront-install")
        if os.path.isdir(os.path.join(copy, name)):
            _replace_dir(os.path.join(copy, name), temp, os.path.join(db, name))
        else:
            shutil.copy2(os.path.join(copy, name), temp)
            os.replace(temp, os.path.join(db, name))
        installed.append(name)
    sync_dir(db)
    return installed


def _replace_dir(source: str, temp: str, final: str) -> None:
    """`final` becomes a copy of `source`: copied aside, then swapped in by two renames (a
    kill in between leaves the old one aside, and the next install copies again)."""
    old = temp + ".old"
    for leftover in (temp, old):
        shutil.rmtree(leftover, ignore_errors=True)
    shutil.copytree(source, temp, symlinks=True)
    if os.path.exists(final):
        os.rename(final, old)
    os.rename(temp, final)
    shutil.rmtree(old, ignore_errors=True)
