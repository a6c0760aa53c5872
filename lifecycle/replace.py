"""Replace a set of files all at once, as far as a filesystem allows: every new file is written
to a temp file beside its target first, and only then are they renamed over their targets, one
`os.replace` each. A failure while writing leaves the tree untouched (Refused); a failure
half-way through the renames puts back the files already replaced (Failed).
"""

from __future__ import annotations

import contextlib
import os
import stat
import time
from collections.abc import Sequence
from dataclasses import dataclass

from snapfront.base.errors import Failed, Refused

NEW_MODE = 0o644


@dataclass(frozen=True)
class Replacement:
    path: str  # absolute; an existing file keeps its mode, a new one gets NEW_MODE
    data: bytes


def replace_all(replacements: Sequence[Replacement]) -> tuple[str, ...]:
    """Write every temp file, then rename each over its target in the given order; returns the
    paths replaced."""
    temps: list[str] = []
    originals: dict[str, bytes] = {}
    try:
        for item in replacements:
            if os.path.exists(item.path):
                with open(item.path, "rb") as fh:
                    originals[item.path] = fh.read()
            temps.append(_write_temp(item))
    except OSError as exc:
        _remove(temps)
        raise Refused(f"cannot write beside {exc.filename}: {exc.strerror}") from None
    newer_second(temps, [item.path for item in replacements])
    done: list[str] = []
    try:
        for temp, item in zip(temps, replacements, strict=True):
            os.replace(temp, item.path)
            done.append(item.path)
    except OSError as exc:
        _remove(temps[len(done) :])
        for path in done:  # put back what was replaced, the same way
            if path in originals:
                _write_temp_and_rename(path, originals[path])
            else:
                _remove([path])
        raise Failed(f"cannot replace {exc.filename}: {exc.strerror}; put back as it was") from None
    return tuple(done)


def newer_second(temps: Sequence[str], targets: Sequence[str]) -> None:
    """Give the new files an mtime in a later second than any file they replace.

    Last-Modified has whole seconds, and APT resumes a partial InRelease with `If-Range: DATE`:
    a file replaced within the second it was written (a bump right after a gensnapshot, or
    after another bump) by one of the same size would match that date, and APT would keep the
    old bytes. The kernel stamps files with its coarse clock, up to a tick (1 to 10 ms) behind
    time.time(), so it is the new files' own mtimes that are checked. Waits at most a second."""
    seconds = [
        os.stat(path).st_mtime_ns // 1_000_000_000 for path in targets if os.path.exists(path)
    ]
    newest = max(seconds, default=0)
    if newest > time.time() + 1:
        return  # a clock behind the files': waiting would not help
    deadline = time.monotonic() + 1.5
    for temp in temps:
        os.utime(temp)
        while os.stat(temp).st_mtime_ns // 1_000_000_000 <= newest:
            if time.monotonic() > deadline:
                return  # a file system whose clock is not ours (NFS): no use waiting
            time.sleep(0.01)
            os.utime(temp)


def temp_path(path: str) -> str:
    """Where the new bytes of `path` are written before the rename: a hidden name, never
    served, never listed; the intent record names it before it exists."""
    folder, name = os.path.split(path)
    return os.path.join(folder, f".{name}.{os.getpid()}.snapfront-tmp")


def _write_temp(item: Replacement) -> str:
    try:
        mode = stat.S_IMODE(os.stat(item.path).st_mode)
    except FileNotFoundError:
        mode = NEW_MODE
    temp = temp_path(item.path)
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(item.data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(temp, mode)  # O_CREAT's mode went through the umask
    except BaseException:
        _remove([temp])
        raise
    return temp


def _write_temp_and_rename(path: str, data: bytes) -> None:
    os.replace(_write_temp(Replacement(path, data)), path)


def _remove(paths: Sequence[str]) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
