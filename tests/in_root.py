"""scripts/test-in-root: the test suite in a fresh Debian root of another release, the way the
README's second command runs it on a new machine: a minbase root of the day (tests/debroot.py),
this checkout copied in as git sees it, `scripts/setup --test`, then pytest, as root inside.
Only the standard library, so Debian's own python3 runs it before any venv exists."""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

from tests import debroot
from tests.root_caches import inside_env, roots_cache_binds

DEFAULT_PYTEST = ["-m", "not debroot"]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/test-in-root",
        description="scripts/setup --test, then pytest, in a fresh Debian minbase root",
    )
    parser.add_argument("suite", help="bookworm or trixie")
    parser.add_argument(
        "pytest_args",
        nargs=argparse.REMAINDER,
        help=f"passed to pytest (default: {shlex.join(DEFAULT_PYTEST)})",
    )
    args = parser.parse_args(argv)
    debroot.require_tools()
    work = Path(tempfile.mkdtemp(prefix=f"snapfront-{args.suite}-", dir="/var/tmp"))
    bases = debroot.Bases(work / "bases")
    root = None
    try:
        root = bases.fresh(args.suite, work / "root")
        root.copy_checkout("/src")
        binds = {Path("/sys"): "/sys", **roots_cache_binds()}
        with root.mounted(binds):
            pytest = shlex.join([".venv/bin/python", "-m", "pytest",
                                 *(args.pytest_args or DEFAULT_PYTEST)])  # fmt: skip
            script = f"cd /src && scripts/setup --test && {pytest}"
            status = subprocess.run(root.command(script, inside_env())).returncode
    finally:
        if root is not None:
            root.remove()
        bases.close()
        debroot.remove(work)
    print(f"scripts/test-in-root: {args.suite}: exit {status}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
