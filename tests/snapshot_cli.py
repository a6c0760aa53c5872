"""`snapfront snapshot bump|resign` for tests, as the command line runs them.

The CLI (snapfront.cli_snapshot) lands from another branch; until then `snapshot()` calls
lifecycle.bump in this process the way the CLI does (load the config, find the mount, run,
hand Outcome.changed to the purger, exit 0/1/2). At merge, set USE_CLI = True: the same tests
then run `python3 -m snapfront.cli snapshot …` for real.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from generator.purge import Batch, purge_now
from lifecycle.bump import bump, resign
from lifecycle.errors import Failed, Refused
from snapfront import sample
from snapfront.config import load

USE_CLI = False


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def snapshot(config: Path, *args: str, gnupghome: Path) -> Result:
    """`snapfront snapshot ARGS… --config CONFIG` with GNUPGHOME set; gpg-agent stopped after."""
    try:
        if USE_CLI:
            cmd = [sys.executable, "-m", "snapfront.cli", "snapshot", args[0], "--config"]
            env = {**os.environ, "GNUPGHOME": str(gnupghome)}
            done = subprocess.run(
                [*cmd, str(config), *args[1:]], capture_output=True, text=True, env=env, timeout=120
            )
            return Result(done.returncode, done.stdout, done.stderr)
        return _in_process(config, args, gnupghome)
    finally:
        sample.stop_agent(gnupghome)


def _in_process(config_path: Path, args: tuple[str, ...], gnupghome: Path) -> Result:
    parser = argparse.ArgumentParser(prog="snapfront snapshot", exit_on_error=False)
    parser.add_argument("command", choices=["bump", "resign"])
    parser.add_argument("mount")
    parser.add_argument("serials", nargs="*")
    parser.add_argument("--days", type=int)
    parser.add_argument("--all", action="store_true")
    options = parser.parse_args(args)
    config = load(str(config_path))
    (mount,) = [m for m in config.mounts if m.url == options.mount]
    try:
        if options.command == "bump":
            outcome = bump(config, mount, options.serials, options.days, str(gnupghome))
        else:
            serials = None if options.all else options.serials
            outcome = resign(config, mount, serials, str(gnupghome))
    except (Refused, Failed) as exc:
        return Result(exc.exit_status, "", f"snapfront: {exc}\n")
    purge_now(config, Batch(data_paths=outcome.changed))
    return Result(0, "".join(line + "\n" for line in outcome.lines), "")
