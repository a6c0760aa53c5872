"""The README's commands on stock Debian 12 and 13, as root in fresh minbase roots: the first
(`scripts/setup`, then `snapfront demo` inside, fetched from outside with real apt-get) and
the second (`scripts/setup --test`, then tests inside)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests import debroot
from tests.root_caches import inside_env, roots_cache_binds
from tests.rootdemo import run_demo

QUICK_TESTS = "tests/test_resolve.py tests/test_apt.py tests/test_trafficserver.py"
"""Pure ones, then real reprepro, gpg and apt-get, then Traffic Server (on Debian 13: Debian
12's, from a root made inside this one)."""

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


@pytest.mark.parametrize("suite", ["bookworm", "trixie"])
def test_setup_test_then_tests_on_stock_debian(
    suite: str, debian_bases: debroot.Bases, tmp_path: Path
) -> None:
    root = debian_bases.fresh(suite, tmp_path / "root")
    try:
        root.copy_checkout("/src")
        with root.mounted(roots_cache_binds()):
            start = time.monotonic()
            root.run("cd /src && scripts/setup --test", timeout=1800)
            print(f"{suite}: scripts/setup --test took {time.monotonic() - start:.1f} s")
            assert root.run("/src/.venv/bin/python -m pytest --version").startswith("pytest ")
            start = time.monotonic()
            run = f"cd /src && .venv/bin/python -m pytest -q -p no:cacheprovider {QUICK_TESTS}"
            print(root.run(f"{run} 2>&1", timeout=900, **inside_env()))
            print(f"{suite}: {QUICK_TESTS} took {time.monotonic() - start:.1f} s")
    finally:
        root.remove()
