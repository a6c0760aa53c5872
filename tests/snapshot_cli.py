"""`snapfront snapshot …` for the bump and resign tests, run as the command line runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from snapfront import sample


def snapshot(config: Path, *args: str, gnupghome: Path) -> subprocess.CompletedProcess[str]:
    """`python3 -m snapfront.cli snapshot ACTION --config CONFIG ARGS…` with GNUPGHOME set;
    the gpg-agent it started is stopped after."""
    cmd = [sys.executable, "-m", "snapfront.cli", "snapshot", args[0], "--config", str(config)]
    env = {**os.environ, "GNUPGHOME": str(gnupghome)}
    try:
        return subprocess.run(
            [*cmd, *args[1:]], capture_output=True, text=True, env=env, timeout=300
        )
    finally:
        sample.stop_agent(gnupghome)
