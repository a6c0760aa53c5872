"""Before snapfront runs reprepro under its own basedir lock: wait while a live process holds
reprepro's `db/lockfile` (cron's `reprepro update`), and remove the lock a killed reprepro left,
saying so in one line, after reprepro's own recovery checks.

Who holds it is read from /proc (every process's open files, and each reprepro's command line,
working directory and environment) and judged by lifecycle.reprepro_lock. A stale lock is
removed only if it is still the very file that was judged (same inode), then `reprepro check`
(every package's files known, with their checksums) and `reprepro rereference` (the references
of every distribution rebuilt from its packages: a killed `include` or `update` can leave
them behind its packages, and `deleteunreferenced` would then delete files still in use) run,
as /usr/share/doc/reprepro/recovery advises, past the databases of a codename removed from
conf/distributions; snapshot references (`s=CODENAME=SERIAL`) are left alone by both. A
failed check stops the command (exit 1) naming that file.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator

from snapfront.base.errors import Failed

from .reprepro_lock import Process, holders

log = logging.getLogger("snapfront.lifecycle")

WAIT_SECONDS = 300.0  # as long as reprepro's own --waitforlock 30 waits
POLL_SECONDS = 0.5
RECOVERY_DOC = "/usr/share/doc/reprepro/recovery"
VANISHED_OK = "--ignore=undefinedtarget"
"""A codename gone from conf/distributions whose databases remain (drop-codename's first
step, done by the operator) is no damage: both checks would stop at it."""

Run = Callable[..., str]  # reprepro ARGS… on this basedir


def lockfile(root: str) -> str:
    return os.path.join(root, "db", "lockfile")


def settle(root: str, run: Run, wait: float = WAIT_SECONDS) -> None:
    """Return once `db/lockfile` is absent or was stale and removed, or after `wait` seconds of
    a live holder (then reprepro's own --waitforlock carries on waiting, or fails)."""
    path = lockfile(root)
    deadline = time.monotonic() + wait
    said = False
    while True:
        try:
            before = os.lstat(path)
        except FileNotFoundError:
            return
        found = holders(scan(), _db_dirs(root), _bases(root))
        if not found:
            _remove_stale(root, path, before, run)
            return
        if not said:
            log.warning("snapfront: %s is held (%s): waiting", path, found[0])
            said = True
        if time.monotonic() >= deadline:
            return
        time.sleep(POLL_SECONDS)


def is_stale(root: str) -> bool:
    """db/lockfile is there and no process holds it."""
    return os.path.lexists(lockfile(root)) and not holders(scan(), _db_dirs(root), _bases(root))


def clear_if_stale(root: str, run: Run) -> None:
    """At a command's start: a stale lock goes (it wedges cron's reprepro as well, even when
    this command runs none); a held one is left for `settle` to wait for, if need be."""
    path = lockfile(root)
    try:
        before = os.lstat(path)
    except FileNotFoundError:
        return
    if not holders(scan(), _db_dirs(root), _bases(root)):
        _remove_stale(root, path, before, run)


def _remove_stale(root: str, path: str, judged: os.stat_result, run: Run) -> None:
    try:
        now = os.lstat(path)
    except FileNotFoundError:
        return  # its holder finished meanwhile
    if (now.st_dev, now.st_ino) != (judged.st_dev, judged.st_ino):
        return  # a new lock since: reprepro's --waitforlock deals with it
    os.unlink(path)
    checks = []
    for args in (("check",), ("rereference",)):
        try:
            run(VANISHED_OK, *args)
        except Exception as exc:  # tools.ToolError and the like: say which, stop here
            text = getattr(exc, "stderr", "") or str(exc)
            first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "failed")
            raise Failed(
                f"{path} was stale (no process holds {os.path.dirname(path)}) and is removed, "
                f"but `reprepro {' '.join(args)}` failed: {first}; see {RECOVERY_DOC}"
            ) from None
        checks.append(f"`reprepro {' '.join(args)}`")
    log.warning(
        "snapfront: %s was stale (no process holds %s): removed it; %s passed",
        path, os.path.dirname(path), " and ".join(checks),
    )  # fmt: skip


def _db_dirs(root: str) -> list[str]:
    db = os.path.join(os.path.abspath(root), "db")
    return list(dict.fromkeys([db, os.path.realpath(db)]))


def _bases(root: str) -> list[str]:
    return list(dict.fromkeys([os.path.abspath(root), os.path.realpath(root)]))


def scan() -> Iterator[Process]:
    """Every other process, as far as /proc lets this user read it."""
    me = os.getpid()
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == me:
            continue
        found = _process(int(name))
        if found is not None:
            yield found


def _process(pid: int) -> Process | None:
    base = f"/proc/{pid}"
    try:
        with open(f"{base}/stat", "rb") as fh:
            head, _, tail = fh.read().rpartition(b")")
        comm = head.split(b"(", 1)[1].decode(errors="replace")
        zombie = tail.split()[0] in (b"Z", b"X")
    except (OSError, IndexError):
        return None  # gone
    argv = _read(f"{base}/cmdline")
    environ = _read(f"{base}/environ")
    return Process(
        pid=pid,
        comm=comm,
        zombie=zombie,
        argv=tuple(argv.decode(errors="replace").split("\0")[:-1]) if argv else (),
        cwd=_link(f"{base}/cwd"),
        environ=None if environ is None else _environ(environ),
        open_paths=_open_paths(f"{base}/fd"),
    )


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError:
        return None


def _link(path: str) -> str | None:
    try:
        return os.readlink(path)
    except OSError:
        return None


def _environ(data: bytes) -> dict[str, str]:
    pairs = (item.partition("=") for item in data.decode(errors="replace").split("\0") if item)
    return {key: value for key, _, value in pairs}


def _open_paths(fd_dir: str) -> tuple[str, ...] | None:
    try:
        names = os.listdir(fd_dir)
    except OSError:
        return None
    return tuple(link for name in names if (link := _link(f"{fd_dir}/{name}")) is not None)
