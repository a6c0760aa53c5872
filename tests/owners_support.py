"""Other users for the run-as-the-owner tests: fresh system users, a copy of snapfront they can
read, and a finder of paths owned by someone else.

The checkout and its venv may sit where another user cannot read them (a checkout under
/root, a 0700 pytest temp dir), so the code those users run is a copy in a directory of the
test's own (0755): this worktree's packages and site/, plus the installed distributions
snapfront depends on, found through their metadata. Run with Debian's interpreter (the venv's
python is a symlink to it) and PYTHONPATH pointing at the copy.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from packaging.requirements import Requirement

from snapfront.run_as import User

CHECKOUT = Path(__file__).resolve().parent.parent
PACKAGES = (
    *(
        "snapfront",
        "rewrite_rules",
        "base",
        "server",
        "generator",
        "basedir",
        "lifecycle",
        "health",
    ),
    *("metrics", "purge", "serials", "diffs", "suites", "tagged", "replication", "site"),
)
"""The checkout's top-level directories (and pyproject.toml, by which snapfront finds them)."""
PYTHON = os.path.realpath(sys.executable)
"""Debian's /usr/bin/python3.X, readable by anyone (the venv's python only links to it)."""


@contextlib.contextmanager
def system_user(prefix: str, homes: Path) -> Iterator[User]:
    """A fresh system user with its own group and a home under `homes`; removed after."""
    name = f"{prefix}-{secrets.token_hex(3)}"
    home = homes / name
    subprocess.run(
        ["useradd", "--system", "--user-group", "--create-home", "--home-dir", str(home),
         "--shell", "/usr/sbin/nologin", name],
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        entry = subprocess.run(
            ["getent", "passwd", name], check=True, capture_output=True, text=True
        ).stdout.split(":")
        yield User(name, int(entry[2]), int(entry[3]), entry[5])
    finally:
        subprocess.run(["userdel", name], capture_output=True)


def readable_code(dest: Path) -> Path:
    """A copy of snapfront and its runtime dependencies that every user can read."""
    dest.mkdir(mode=0o755)
    for name in PACKAGES:
        shutil.copytree(CHECKOUT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(CHECKOUT / "pyproject.toml", dest / "pyproject.toml")
    for dist in _runtime_distributions("snapfront"):
        base = Path(dist.locate_file(""))
        for top in {Path(f).parts[0] for f in dist.files or ()}:
            source = base / top
            if top.endswith(".dist-info") or top in ("..", "__pycache__", "bin"):
                continue
            if source.is_dir():
                shutil.copytree(source, dest / top, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
            elif source.is_file():
                shutil.copy2(source, dest / top)
    for parent, dirs, files in os.walk(dest):
        for name in dirs:
            os.chmod(os.path.join(parent, name), 0o755)
        for name in files:
            os.chmod(os.path.join(parent, name), 0o644)
    return dest


def _runtime_distributions(name: str) -> list[importlib.metadata.Distribution]:
    """`name`'s distribution's requirements, recursively, without extras; not itself."""
    seen: dict[str, importlib.metadata.Distribution] = {}
    todo = [name]
    while todo:
        dist = importlib.metadata.distribution(todo.pop())
        for text in dist.requires or ():
            req = Requirement(text)
            key = req.name.lower().replace("_", "-")
            if key in seen or (req.marker and not req.marker.evaluate({"extra": ""})):
                continue
            seen[key] = importlib.metadata.distribution(req.name)
            todo.append(req.name)
    return list(seen.values())


def snapfront(
    code: Path,
    *args: str,
    env: dict[str, str] | None = None,
    prefix: Sequence[str] = (),
    umask: int = -1,
) -> subprocess.CompletedProcess[str]:
    """`python3 -m snapfront.cli ARGS` from the readable copy (as root, or after `prefix`)."""
    full = {k: v for k, v in os.environ.items() if k not in ("GNUPGHOME", "PYTHONPATH")}
    full |= {"PYTHONPATH": str(code), **(env or {})}
    return subprocess.run(
        [*prefix, PYTHON, "-m", "snapfront.cli", *args],
        capture_output=True, text=True, env=full, timeout=300, umask=umask,
    )  # fmt: skip


def as_user(user: User, code: Path) -> list[str]:
    """A prefix that execs the command as `user` (same pid, so signals reach it), with its HOME
    and the readable copy on its PYTHONPATH."""
    return [
        "setpriv", f"--reuid={user.uid}", f"--regid={user.gid}", "--init-groups",
        "env", f"HOME={user.home}", f"USER={user.name}", f"PYTHONPATH={code}",
    ]  # fmt: skip


def stop_agent(user: User, code: Path) -> None:
    """The gpg-agent that gpg started as `user` in its ~/.gnupg (userdel refuses a user with
    processes)."""
    home = os.path.join(user.home, ".gnupg")
    command = [*as_user(user, code), f"GNUPGHOME={home}", "gpgconf", "--kill", "all"]
    subprocess.run(command, capture_output=True)


def not_owned_by(uid: int, top: Path) -> list[str]:
    """Every path under `top` (itself included, symlinks not followed) owned by another uid."""
    found = [] if top.lstat().st_uid == uid else [str(top)]
    for parent, dirs, files in os.walk(top):
        for name in dirs + files:
            path = os.path.join(parent, name)
            if os.lstat(path).st_uid != uid:
                found.append(path)
    return found


def unreadable_to_others(top: Path) -> list[str]:
    """Paths under `top` that a web server (any other user) could not read or enter."""
    found = []
    for parent, dirs, files in os.walk(top):
        found += [os.path.join(parent, d) for d in dirs
                  if os.stat(os.path.join(parent, d)).st_mode & 0o005 != 0o005]  # fmt: skip
        found += [os.path.join(parent, f) for f in files
                  if os.lstat(os.path.join(parent, f)).st_mode & 0o004 == 0]  # fmt: skip
    return found


def chown_tree(top: Path, user: User) -> None:
    subprocess.run(["chown", "-R", f"{user.uid}:{user.gid}", str(top)], check=True)
