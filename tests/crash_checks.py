"""What must hold of a snapshots basedir after a command was SIGKILLed, and after the next
command ran (tests/test_crash_recovery.py). Checked with gpgv, reprepro and apt-get, and with
snapfront's own reading of the basedir (what its pages, server and status list)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from pathlib import Path

from snapfront.base.config import load
from snapfront.basedir.inventory import read_archive
from snapfront.lifecycle.listing import list_snapshots
from tests.apt_client import AptRoot
from tests.lifecycle_support import World, references
from tests.support import fetch, running_server, with_listen

SERIAL = re.compile(r"\d{10}\Z")
LEFTOVERS = (".new", ".snapfront-tmp", ".snapfront-gc", ".tmp")
"""Names a write in progress uses: reprepro's, bump's temp files, gc's trash, base.atomic's."""


def snapshot_dirs(world: World) -> dict[tuple[str, str], Path]:
    """(codename, serial) → directory, for every serial directory under dists/, whole or not."""
    found = {}
    dists = world.root / "dists"
    for parent, dirs, _files in os.walk(dists):
        if os.path.basename(parent) == "snapshots":
            codename = os.path.relpath(os.path.dirname(parent), dists)
            found.update({(codename, d): Path(parent, d) for d in dirs if SERIAL.match(d)})
            dirs[:] = []
    return found


def unsound(world: World, directory: Path) -> str | None:
    """None when InRelease verifies, signs exactly Release, and Release.gpg verifies it."""
    ring = str(world.keyring)
    release = directory / "Release"
    with tempfile.TemporaryDirectory() as work:
        body = Path(work, "body")
        run = subprocess.run(
            ["gpgv", "--keyring", ring, "--output", str(body), str(directory / "InRelease")],
            capture_output=True,
        )  # fmt: skip
        if run.returncode != 0:
            return "InRelease does not verify"
        if not release.is_file() or body.read_bytes() != release.read_bytes():
            return "InRelease does not sign Release as it is"
    detached = ["gpgv", "--keyring", ring, str(directory / "Release.gpg"), str(release)]
    if subprocess.run(detached, capture_output=True).returncode != 0:
        return "Release.gpg does not verify"
    return None


def listed(world: World) -> tuple[set[tuple[str, str]], dict | None]:
    """(codename, serial) that snapfront lists (pages, server and status read the basedir as
    read_archive; `snapshot list --json` adds its rows) and the interrupted operation shown."""
    config = load(str(world.config))
    mount = next(m for m in config.mounts if m.url == "/debian/")
    archive = read_archive(str(world.root))
    found = {(c, s) for c, serials in archive.serials.items() for s in serials}
    data = json.loads(list_snapshots(mount, True).lines[0])
    for row in data["serials"]:
        found |= {(c, row["serial"]) for c in row["codenames"]}
    return found, data["interrupted"]


def after_kill(world: World) -> list[str]:
    """Every snapshot directory is sound, or not listed; one listed but unsound is allowed
    only while the interrupted operation shown acts on its serial (a bump's renames)."""
    shown, pending = listed(world)
    problems = []
    for (codename, serial), directory in sorted(snapshot_dirs(world).items()):
        why = unsound(world, directory)
        acting = pending is not None and serial in pending["serials"]
        if why and (codename, serial) in shown and not acting:
            problems.append(f"{codename} {serial} is listed but {why}")
    return problems


def after_next(world: World) -> list[str]:
    """Everything is sound and listed, nothing half-done remains, the references match."""
    shown, pending = listed(world)
    dirs = snapshot_dirs(world)
    problems = [f"still interrupted: {pending}"] if pending else []
    for key, directory in sorted(dirs.items()):
        why = unsound(world, directory)
        if why:
            problems.append(f"{key} on disk: {why}")
        elif key not in shown:
            problems.append(f"{key} is sound but not listed")
    problems += [f"left over: {p}" for p in leftovers(world.root)]
    referees = {line.split(" ", 1)[0] for line in references(world)}
    held = {tuple(r[2:].rsplit("=", 1)) for r in referees if r.startswith("s=")}
    if held != set(dirs):
        problems.append(f"references {sorted(held ^ set(dirs))} differ from the directories")
    return problems


def leftovers(root: Path) -> list[str]:
    found = []
    for top in ("dists", "db", "logs"):
        for parent, dirs, files in os.walk(root / top):
            for name in dirs + files:
                if name.endswith(LEFTOVERS) or name in ("lockfile", "snapfront.intent"):
                    found.append(os.path.relpath(os.path.join(parent, name), root))
    return sorted(found)


def apt_updates(world: World, tmp: Path) -> tuple[list[str], list[str]]:
    """Serve the world (pages built once), read the serials its archive page lists, and run
    one apt-get update over all of them; (the sources, APT's problems)."""
    config = with_listen(world.config, "127.0.0.1:0", world.dir / "crash.toml")
    with running_server(config, "--no-watch") as server:
        page = json.loads(fetch(f"{server.url}debian/index.json").body)
        lines = [
            f"deb [signed-by={world.keyring}] {server.url}debian/{row['serial']}/ {codename} main"
            for row in page["serials"]
            for codename in row["codenames"]
        ]
        result = AptRoot(tmp, lines).run("update")
    problems = result.problems() + ([] if result.returncode == 0 else [result.output])
    return lines, problems
