"""The rsync calls of a replication run, and nothing else: list a module, pull one stage.

Exit 24 ("some files vanished before they could be transferred") is no failure: the active
removed them meanwhile, and the next run sees that in its listing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from snapfront.base.errors import Failed, Refused

from .plan import Stage

VANISHED = 24
TIMEOUT = 600  # seconds without any I/O before rsync gives up (--timeout)
_LISTED = re.compile(
    r"(?P<mode>\S{10})\s+(?P<size>\d+)\s+(?P<day>\S+)\s+(?P<time>\S+)\s(?P<name>.*)"
)


@dataclass(frozen=True)
class Entry:
    is_dir: bool
    size: int
    when: str  # "YYYY/MM/DD HH:MM:SS", the active's mtime as rsync lists it


def rsync() -> str:
    found = shutil.which("rsync")
    if found is None:
        raise Refused("rsync is missing: apt-get install rsync")
    return found


def listing(url: str, filters: Sequence[str]) -> dict[str, Entry]:
    """Every path under the module `url` (relative, "." left out) the filters let through."""
    command = [rsync(), "-r", "-8", "--no-h", "--list-only", f"--timeout={TIMEOUT}"]
    output = _run([*command, *(f"--filter={f}" for f in filters), url], "list")
    found: dict[str, Entry] = {}
    for line in output.splitlines():
        match = _LISTED.match(line)
        if match is None or match["name"] == ".":
            continue
        name = match["name"]
        if match["mode"][0] == "l":
            name = name.split(" -> ", 1)[0]
        found[name] = Entry(
            match["mode"][0] == "d", int(match["size"]), f"{match['day']} {match['time']}"
        )
    return found


def pull(url: str, dest: str, stage: Stage) -> list[str]:
    """One stage into `dest` (never deleting); the paths it received."""
    command = [rsync(), "-rlpt", "-8", f"--timeout={TIMEOUT}", "--out-format=%i %n"]
    if stage.delay_updates:
        command.append("--delay-updates")
    command += [f"--filter={f}" for f in stage.filters]
    output = _run([*command, url, dest.rstrip("/") + "/"], stage.name)
    received = []
    for line in output.splitlines():
        flags, _, name = line.partition(" ")
        if flags[:1] in (">", "c", "c") and name:
            received.append(name.rstrip("/"))
    return received


def _run(command: list[str], what: str) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, errors="surrogateescape")
    except OSError as exc:
        raise Failed(f"rsync ({what}): {exc.strerror}") from None
    if done.returncode not in (0, VANISHED):
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        said = lines[0] if lines else f"exit status {done.returncode}"
        raise Failed(f"rsync ({what}) {command[-2] if what != 'list' else command[-1]}: {said}")
    return done.stdout
