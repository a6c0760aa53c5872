"""The README's first command on stock Debian 12 and 13: `scripts/setup` as root in a fresh
minbase root, then `snapfront demo` inside, fetched from outside with real apt-get."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import debroot
from tests.rootdemo import run_demo

pytestmark = pytest.mark.debroot


@pytest.mark.parametrize("suite", ["bookworm", "trixie"])
def test_setup_and_demo_on_stock_debian(
    suite: str, debian_bases: debroot.Bases, tmp_path: Path
) -> None:
    root = debian_bases.fresh(suite, tmp_path / "root")
    try:
        root.copy_checkout("/src")
        with root.mounted():
            root.run("cd /src && scripts/setup", timeout=1200)
            # on the PATH the README uses, from the venv, and nothing in the system Python
            assert root.run("command -v snapfront").strip() == "/usr/local/bin/snapfront"
            assert (
                root.run("readlink /usr/local/bin/snapfront").strip() == "/src/.venv/bin/snapfront"
            )
            probe = "/usr/bin/python3 -c 'import snapfront' 2>/dev/null && echo yes || echo no"
            assert root.run(probe).strip() == "no"
            run_demo(root, tmp_path, "snapfront demo")
    finally:
        root.remove()
