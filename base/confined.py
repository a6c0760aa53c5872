"""Open a file under a data root only where it may be served: the one way server and generator
read a data root's files.

A tree's owner (reprepro, rsync, a release manager) may leave a symlink to /etc/passwd or to
reprepro's conf/, or a FIFO named README.md. So: open without blocking (O_NONBLOCK, a FIFO
with no writer must not hang us), fstat the open fd, resolve the path and require it inside
the root and allowed by `rewrite_rules.confine.may_serve`, and require the resolved path to
be the very file that was opened (a symlink swapped in between is caught).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from snapfront.rewrite_rules import MountKind
from snapfront.rewrite_rules.confine import may_serve, relative

OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC
MISSING = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EACCES, errno.ELOOP, errno.ENAMETOOLONG})
"""Errors that mean "no such file to serve"; any other is a real fault and is raised."""


@dataclass
class Confined:
    """An open regular file or directory that passed every check; the caller closes `fd`."""

    fd: int
    stat: os.stat_result
    real: str

    @property
    def is_dir(self) -> bool:
        return stat.S_ISDIR(self.stat.st_mode)


@functools.lru_cache(maxsize=256)
def real_root(root: str) -> str:
    return os.path.realpath(root)


def open_under(root: str, path: str, kind: MountKind | None) -> Confined | None:
    """`path` opened, if it resolves inside `root` to a regular file or directory that `kind`'s
    rule allows (None: containment alone, for the output directory); else None.

    Open first, check after: a missing file (the common 404) costs one failed open.
    """
    try:
        fd = os.open(path, OPEN_FLAGS)
    except OSError as exc:
        if exc.errno in MISSING:
            return None
        raise
    try:
        st = os.fstat(fd)
        real = os.path.realpath(path)
        if _allowed(real, st, real_root(root), kind) and _same_file(real, st):
            return Confined(fd, st, real)
    except BaseException:
        os.close(fd)
        raise
    os.close(fd)
    return None


def _allowed(real: str, st: os.stat_result, root: str, kind: MountKind | None) -> bool:
    directory = stat.S_ISDIR(st.st_mode)
    if not (directory or stat.S_ISREG(st.st_mode)):
        return False  # FIFOs, sockets, devices: never read, never served
    rel = relative(real, root)
    return rel is not None and (kind is None or may_serve(kind, rel, directory))


def _same_file(path: str, st: os.stat_result) -> bool:
    try:
        other = os.stat(path)
    except OSError:
        return False
    return (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino)


@contextlib.contextmanager
def open_file(
    root: str, path: str, kind: MountKind | None, limit: int | None = None
) -> Iterator[BinaryIO | None]:
    """A confined regular file as a binary file object (None when there is none), refusing
    files over `limit` bytes; the fd is back in blocking mode (reads of a regular file never
    block anyway)."""
    try:
        found = open_under(root, path, kind)
    except OSError:
        found = None
    if found is None or found.is_dir or (limit is not None and found.stat.st_size > limit):
        if found is not None:
            os.close(found.fd)
        yield None
        return
    os.set_blocking(found.fd, True)
    with os.fdopen(found.fd, "rb") as fh:
        yield fh


def read_file(root: str, path: str, kind: MountKind | None, limit: int) -> bytes | None:
    """The bytes of a confined regular file of at most `limit` bytes; None otherwise (missing,
    not regular, outside the root, refused by the rule, too large, unreadable)."""
    with open_file(root, path, kind, limit) as fh:
        if fh is None:
            return None
        try:
            data = fh.read(limit + 1)
        except OSError:
            return None
    return data if len(data) <= limit else None  # it grew after fstat
