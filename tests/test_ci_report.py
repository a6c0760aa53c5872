"""CI's log shows each stage's time: pytest's slowest tests (--durations in pyproject.toml) and
what each Debian root cost (tests/conftest.py's terminal summary of debroot.Bases.timings);
and no warning of pytest's own configuration in any run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.live


CHECKOUT = Path(__file__).resolve().parent.parent


def test_the_log_names_slowest_tests_and_each_debian_roots_cost(tmp_path: Path) -> None:
    probe = tmp_path / "test_probe.py"
    probe.write_text(
        "import pytest\n\n@pytest.mark.system\n"  # tests/conftest.py: every test has a kind
        "def test_a_root(debian_bases):\n"  # no debootstrap: the timing a root would leave
        "    debian_bases.timings['trixie'] = (212.4, 'debootstrap')\n"
        "    debian_bases.timings['bookworm'] = (9.0, 'cached')\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(CHECKOUT / "pyproject.toml"),
         "--rootdir", str(CHECKOUT), "-p", "tests.conftest", "-q", str(probe)],
        cwd=CHECKOUT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "slowest 30 durations" in run.stdout, run.stdout
    summary = run.stdout.split("Debian roots (tests/debroot.py)", 1)
    assert len(summary) == 2, run.stdout
    assert "trixie: 212.4 s (debootstrap)\nbookworm: 9.0 s (cached)\n" in summary[1]


def test_a_run_prints_no_configuration_warning(tmp_path: Path) -> None:
    """pytest-asyncio warns on every run while asyncio_default_fixture_loop_scope is unset."""
    probe = tmp_path / "test_probe.py"
    probe.write_text("async def test_async():\n    pass\n")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(CHECKOUT / "pyproject.toml"),
         "--rootdir", str(CHECKOUT), "-q", str(probe)],
        cwd=CHECKOUT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout, run.stdout
    assert "Warning" not in run.stdout + run.stderr, run.stdout + run.stderr
