"""The reprepro calls of upload processing, and nothing else (basedir.tools runs them)."""

from __future__ import annotations

from snapfront.basedir import tools
from snapfront.lifecycle import stale_lock
from snapfront.lifecycle.repo import WAIT_FOR_LOCK

from .names import INCOMING_RULE
from .packages import read_suite


def process(root: str, changes: str, gnupghome: str | None) -> tuple[int, str]:
    """`reprepro processincoming snapfront CHANGES`: its exit status and what it said.
    A stale db/lockfile is removed first, a live one waited for (lifecycle.stale_lock)."""
    stale_lock.settle(root, lambda *args, **kw: run(root, gnupghome, *args))
    cmd = ["reprepro", "--basedir", root, "--waitforlock", str(WAIT_FOR_LOCK)]
    env = {"GNUPGHOME": gnupghome} if gnupghome else {}
    cmd += [*(["--gnupghome", gnupghome] if gnupghome else []), "--noguessgpgtty"]
    proc = tools.run([*cmd, "processincoming", INCOMING_RULE, changes], env=env, check=False,
                     timeout=tools.TIMEOUT + 10.0 * WAIT_FOR_LOCK)  # fmt: skip
    return proc.returncode, f"{proc.stdout}\n{proc.stderr}"


def packages(root: str, suite: str) -> dict[str, str]:
    """The suite's packages as suites.packages maps them (what its history records)."""
    return read_suite(lambda *args: run(root, None, *args), suite)


def export(root: str, suite: str, gnupghome: str | None) -> None:
    """Write the suite's index files and Release again (an interrupted import's last step)."""
    run(root, gnupghome, "export", suite)


def run(root: str, gnupghome: str | None, *args: str) -> str:
    return tools.reprepro(root, *args, gnupghome=gnupghome, waitforlock=WAIT_FOR_LOCK)
