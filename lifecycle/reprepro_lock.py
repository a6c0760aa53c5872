"""Is reprepro's `db/lockfile` held by a live process, or left by a killed one? Pure decisions
over what lifecycle.stale_lock read from /proc; no I/O here.

reprepro creates `db/lockfile` with O_EXCL, closes it at once and removes it only at a clean
exit (its man page: after a hard kill you "have to remove the lockfile manually"). So the file
says nothing about a live holder: a process counts as one when it has a file under the
database directory open, or when it is a reprepro whose basedir (`-b`, `--basedir`,
REPREPRO_BASE_DIR, else its working directory) or `--dbdir` is this one, or cannot be told
(its working directory or environment unreadable). A zombie holds nothing. Only a lock no
process holds is stale.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

BASEDIR_OPTION = "--basedir"
DBDIR_OPTION = "--dbdir"
SHORTEST_PREFIX = 4  # getopt_long takes unambiguous prefixes: "--ba", "--db"


@dataclass(frozen=True)
class Process:
    """One process as /proc shows it; None where it could not be read (another user's)."""

    pid: int
    comm: str
    zombie: bool = False
    argv: tuple[str, ...] = ()
    cwd: str | None = None
    environ: dict[str, str] | None = None
    open_paths: tuple[str, ...] | None = ()


@dataclass(frozen=True)
class Places:
    """Where one reprepro process works: paths as given (joined to its cwd), None unknown."""

    basedir: str | None
    dbdir: str | None


def _option(argv: Sequence[str], long: str, short: str | None) -> str | None:
    """The last value of `long` (or an unambiguous prefix of it, `--x=V` or `--x V`) or
    `short` (`-bV`, `-b V`) before the command word; None when not given."""
    value = None
    args = list(argv[1:])
    index = 0
    while index < len(args):
        arg = args[index]
        name, eq, inline = arg.partition("=")
        if name.startswith("--") and len(name) >= SHORTEST_PREFIX and long.startswith(name):
            value = inline if eq else (args[index + 1] if index + 1 < len(args) else None)
            index += 1 if eq else 2
            continue
        if short and arg.startswith(short):
            value = arg[len(short) :] or (args[index + 1] if index + 1 < len(args) else None)
            index += 1 if arg != short else 2
            continue
        index += 1
    return value


def places(process: Process) -> Places:
    """Where a reprepro process reads its database; parts it cannot know are None."""
    cwd = process.cwd
    env = process.environ

    def absolute(path: str | None) -> str | None:
        if path is None:
            return None
        if posixpath.isabs(path):
            return posixpath.normpath(path)
        return None if cwd is None else posixpath.normpath(posixpath.join(cwd, path))

    given = _option(process.argv, BASEDIR_OPTION, "-b")
    if given is None and env is not None:
        given = env.get("REPREPRO_BASE_DIR") or None
    if given is not None:
        return Places(absolute(given), absolute(_option(process.argv, DBDIR_OPTION, None)))
    basedir = None if env is None else cwd  # an unreadable environment: cannot tell
    return Places(basedir, absolute(_option(process.argv, DBDIR_OPTION, None)))


def holds(process: Process, db_dirs: Iterable[str], bases: Iterable[str]) -> str | None:
    """Why `process` may hold the lock of a basedir known by `bases` (its real and given
    paths) with its database at `db_dirs`; None when it certainly does not."""
    if process.zombie:
        return None
    dbs = tuple(db.rstrip("/") for db in db_dirs)
    for path in process.open_paths or ():
        if any(path == db or path.startswith(db + "/") for db in dbs):
            return f"pid {process.pid} ({process.comm}) has {path} open"
    if process.comm != "reprepro":
        return None
    where = places(process)
    if where.dbdir is not None:
        return f"pid {process.pid} (reprepro) uses it" if where.dbdir in dbs else None
    if where.basedir is None:
        return f"pid {process.pid} (reprepro) may use it (its basedir cannot be read)"
    return f"pid {process.pid} (reprepro) uses it" if where.basedir in set(bases) else None


def holders(
    processes: Iterable[Process], db_dirs: Sequence[str], bases: Sequence[str]
) -> list[str]:
    """Every reason to believe the lock is held; [] means it is stale."""
    return [why for p in processes if (why := holds(p, db_dirs, bases)) is not None]
