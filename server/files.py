"""Open the file a Target names, refusing anything that leaves its base directory.

Runs inline (no executor hop): open and fstat of a local file take microseconds.
"""

from __future__ import annotations

import errno
import functools
import os
import stat
from dataclasses import dataclass

from rewrite_rules import Source

_MISSING = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EACCES, errno.ELOOP, errno.ENAMETOOLONG})


@dataclass
class Opened:
    source: Source
    path: str
    fd: int
    stat: os.stat_result

    def close(self) -> None:
        os.close(self.fd)


class IsDirectory:
    """The URL named a directory without its trailing slash."""


IS_DIRECTORY = IsDirectory()


@functools.lru_cache(maxsize=256)
def _real_base(base: str) -> str:
    return os.path.realpath(base)


def is_within(path: str, base: str) -> bool:
    return path == base or path.startswith(base.rstrip("/") + "/")


def open_source(source: Source) -> Opened | IsDirectory | None:
    """The open regular file behind `source`, IS_DIRECTORY, or None when there is none to serve.

    Open first, then check where the opened file really lives: a missing file (the common
    404) costs one failed open, and a symlink swapped between the two steps is caught by
    comparing the resolved path's inode with the open one.
    """
    base = _real_base(source.base)
    joined = os.path.join(base, source.relpath)
    try:
        # O_NONBLOCK: opening a FIFO someone left in a tree must not hang the server.
        fd = os.open(joined, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno in _MISSING:
            return None
        raise
    try:
        st = os.fstat(fd)
        real = os.path.realpath(joined)
        if not is_within(real, base) or not _same_file(real, st):
            os.close(fd)
            return None  # a symlink that points outside its root is the same as no file
    except BaseException:
        os.close(fd)
        raise
    if stat.S_ISREG(st.st_mode):
        return Opened(source, real, fd, st)
    os.close(fd)
    return IS_DIRECTORY if stat.S_ISDIR(st.st_mode) else None


def _same_file(path: str, st: os.stat_result) -> bool:
    try:
        other = os.stat(path)
    except OSError:
        return False
    return (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino)
