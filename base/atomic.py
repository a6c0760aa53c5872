"""Replace a file atomically: a reader (the server, a CDN, rsync to a replica, another process
of ours) sees the old bytes or the new ones, never half of them. Used for every generated file
and for the private state the processes share under the output directory (STATE_DIR)."""

from __future__ import annotations

import os
import threading

STATE_DIR = ".snapfront"
"""output/.snapfront/: caches and status files; a hidden name, so it is never served."""


def atomic_write(path: str, data: bytes, mtime: float | None = None, durable: bool = False) -> None:
    """Write `data` to a temp file beside `path`, then rename it over `path`; with `mtime`,
    the file has that modification time from the moment it appears. `durable`: on disk before
    this returns (file and directory fsync'ed), for a record that must survive a power cut."""
    folder, name = os.path.split(path)
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        if mtime is not None:
            os.utime(tmp, (mtime, mtime))
        os.replace(tmp, path)
        if durable:
            sync_dir(folder)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def sync_dir(folder: str) -> None:
    """fsync a directory: a rename or unlink in it is on disk once this returns."""
    fd = os.open(folder or ".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
