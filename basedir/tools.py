"""The one place snapfront runs reprepro, gpg and gpgv: the serving side (signature checks),
the lifecycle commands (take, bump, gc ...) and the sample host all go through here.

Thin on purpose: it runs a tool with closed stdin (nothing can prompt), the C locale (messages
we parse stay English), a timeout, and turns "not installed" into MissingTool naming the
Debian package and a failure into ToolError carrying the command line and its stderr. What to
run, and what the output means, is decided by the callers.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Iterable, Mapping

PACKAGES = {
    "reprepro": "reprepro",
    "gpg": "gnupg",
    "gpg-agent": "gnupg",
    "gpgconf": "gnupg",
    "gpgv": "gpgv",
    "dpkg-deb": "dpkg",
    "dpkg-source": "dpkg-dev",
    "tar": "tar",
    "git": "git",
}
"""Command → the Debian package that provides it (for the "apt-get install" hint)."""
TIMEOUT = 600.0
GPGV_TIMEOUT = 60.0  # a hung gpgv must not stall a rebuild forever

Arg = str | os.PathLike[str]


class MissingTool(RuntimeError):
    """A command is not installed; the message names the Debian package to install."""


class ToolError(RuntimeError):
    """A command failed; the message carries the command line and its stderr."""

    def __init__(self, message: str, stderr: str = "") -> None:
        super().__init__(message)
        self.stderr = stderr


def missing_tools(tools: Iterable[str]) -> str | None:
    """None when every tool is on PATH, else the one-line complaint naming the packages."""
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if not missing:
        return None
    packages = " ".join(dict.fromkeys(PACKAGES.get(tool, tool) for tool in missing))
    return f"{', '.join(missing)} not found: apt-get install {packages}"


def require(*tools: str) -> None:
    problem = missing_tools(tools)
    if problem:
        raise MissingTool(problem)


def run(
    args: Iterable[Arg],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Arg | None = None,
    stdin: str = "",
    timeout: float = TIMEOUT,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run one tool; ToolError on a non-zero exit (unless `check` is off) or a timeout."""
    cmd = [os.fspath(arg) for arg in args]
    full_env = {**os.environ, "LC_ALL": "C.UTF-8", **(env or {})}
    try:
        proc = subprocess.run(
            cmd, cwd=cwd, env=full_env, input=stdin, capture_output=True, text=True,
            timeout=timeout,
        )  # fmt: skip
    except FileNotFoundError:
        raise MissingTool(missing_tools([cmd[0]]) or f"{cmd[0]} not found") from None
    except subprocess.TimeoutExpired:
        raise ToolError(f"{shlex.join(cmd)} timed out after {timeout:g} s") from None
    if check and proc.returncode != 0:
        message = f"{shlex.join(cmd)} exited {proc.returncode}:\n{proc.stderr.strip()}"
        raise ToolError(message, proc.stderr)
    return proc


def reprepro(
    basedir: Arg, *args: Arg, gnupghome: Arg | None = None, waitforlock: int = 0, stdin: str = ""
) -> str:
    """`reprepro --basedir BASEDIR ARGS…`, signing (when it signs) with GNUPGHOME's keys.

    `waitforlock` N: while another reprepro holds `db/lockfile`, retry N times, 10 s apart
    (reprepro's default is to fail at once)."""
    cmd: list[Arg] = ["reprepro", "--basedir", basedir]
    if waitforlock:
        cmd += ["--waitforlock", str(waitforlock)]
    env = {}
    if gnupghome is not None:
        cmd += ["--gnupghome", gnupghome]
        env["GNUPGHOME"] = os.fspath(gnupghome)
    timeout = TIMEOUT + 10.0 * waitforlock
    return run([*cmd, "--noguessgpgtty", *args], env=env, stdin=stdin, timeout=timeout).stdout


def gpg(gnupghome: Arg | None, *args: Arg, stdin: str = "") -> str:
    """gpg in batch mode; `gnupghome` None keeps the caller's GNUPGHOME (or ~/.gnupg)."""
    env = {} if gnupghome is None else {"GNUPGHOME": os.fspath(gnupghome)}
    batch = ["--batch", "--no-tty", "--pinentry-mode", "loopback"]
    return run(["gpg", *batch, *args], env=env, stdin=stdin).stdout


def gpgv(files: Iterable[Arg], keyring: Arg, output: Arg | None = None) -> tuple[bool, str]:
    """(verified, gpgv's last stderr line): does the signature (InRelease, or Release.gpg then
    Release) verify with `keyring`? `output`: where gpgv writes the signed text of a clearsigned
    file (the body of an InRelease, byte for byte). Raises MissingTool, never ToolError."""
    ring = os.path.abspath(os.fspath(keyring))  # gpgv looks a bare name up in ~/.gnupg
    extra = [] if output is None else ["--output", output]
    try:
        proc = run(["gpgv", "--keyring", ring, *extra, *files], timeout=GPGV_TIMEOUT, check=False)
    except ToolError as exc:  # timed out
        return False, str(exc)
    lines = proc.stderr.strip().splitlines()
    return proc.returncode == 0, lines[-1] if lines else f"exit {proc.returncode}"
