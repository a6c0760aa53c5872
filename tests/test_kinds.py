"""Tests by kind (tests/kinds.py), run as a developer runs them: pytest on probe modules with
this checkout's configuration. A test without exactly one kind stops the run before anything
runs; a pure test that starts a process or opens a network socket fails, even when it catches
the error; what a pure test may do (AF_UNIX sockets, files) passes, and so does a live test
that starts a process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.live

CHECKOUT = Path(__file__).resolve().parent.parent

PURE_PROBE = """
import os, socket, subprocess
import pytest

pytestmark = pytest.mark.pure


@pytest.fixture
def started():
    subprocess.run(["true"], check=True)


def test_runs_true():
    subprocess.run(["true"], check=True)


def test_forks():
    if os.fork() == 0:
        os._exit(0)


def test_catches_it():
    try:
        subprocess.run(["true"], check=True)
    except Exception:
        pass


def test_connects():
    socket.create_connection(("127.0.0.1", 9), timeout=1).close()


def test_fixture_starts_a_process(started):
    pass


def test_unix_sockets_and_files(tmp_path):
    a, b = socket.socketpair()
    with a, b:
        a.sendall(b"x")
        assert b.recv(1) == b"x"
    (tmp_path / "f").write_text("pure")
"""

LIVE_PROBE = """
import subprocess
import pytest

pytestmark = pytest.mark.live


def test_runs_true():
    subprocess.run(["true"], check=True)
"""


def run_pytest(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """pytest in `directory` with this checkout's configuration and tests/kinds.py alone; the
    summary's lines whole (COLUMNS)."""
    path = os.pathsep.join(filter(None, [str(CHECKOUT), os.environ.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(CHECKOUT / "pyproject.toml"),
         "--rootdir", str(directory), "-p", "tests.kinds", "-p", "no:cacheprovider",
         "-q", "-rfE", *args, "."],
        cwd=directory, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": path, "COLUMNS": "1000"},
    )  # fmt: skip


def test_a_pure_test_that_starts_a_process_or_uses_the_network_fails(tmp_path: Path) -> None:
    (tmp_path / "test_pure_probe.py").write_text(PURE_PROBE)
    (tmp_path / "test_live_probe.py").write_text(LIVE_PROBE)
    run = run_pytest(tmp_path)
    out = run.stdout
    assert run.returncode == 1, out + run.stderr
    assert "4 failed, 2 passed, 1 error" in out, out
    expected = {
        "FAILED test_pure_probe.py::test_runs_true": "started a process (subprocess.Popen ['true'])",
        "FAILED test_pure_probe.py::test_forks": "started a process (os.fork)",
        "FAILED test_pure_probe.py::test_catches_it": "started a process (subprocess.Popen",
        "FAILED test_pure_probe.py::test_connects": "used the network (socket.connect ('127.0.0.1', 9))",
        "ERROR test_pure_probe.py::test_fixture_starts_a_process": "started a process",
    }  # fmt: skip
    summary = out.split("short test summary info", 1)[1].splitlines()
    for test, said in expected.items():
        line = next((line for line in summary if line.startswith(test + " ")), "")
        assert "NotPure: a pure test " + said in line and "mark it live" in line, (test, out)
    for test in ("test_unix_sockets_and_files", "test_live_probe.py::test_runs_true"):
        assert test not in out.split("short test summary info", 1)[1], out
    only_pure = run_pytest(tmp_path, "-m", "pure")
    assert "4 failed, 1 passed, 1 deselected, 1 error" in only_pure.stdout, only_pure.stdout


def test_a_test_without_exactly_one_kind_stops_the_run(tmp_path: Path) -> None:
    (tmp_path / "test_probe.py").write_text(
        "import pytest\n\n"
        "def test_none():\n    pass\n\n"
        "@pytest.mark.pure\n@pytest.mark.live\ndef test_two():\n    pass\n\n"
        "@pytest.mark.live\n@pytest.mark.debroot\ndef test_debroot_live():\n    pass\n\n"
        "@pytest.mark.debroot\ndef test_fine():\n    pass\n"
    )
    run = run_pytest(tmp_path, "-m", "system")  # checked before -m deselects
    assert run.returncode == 4, run.stdout + run.stderr
    assert "passed" not in run.stdout, run.stdout
    said = run.stderr
    assert "every test needs one kind, pytest.mark.pure, live or system" in said, said
    assert "test_probe.py::test_none: no kind" in said, said
    assert "test_probe.py::test_two: more than one kind: pure, live" in said, said
    assert "test_probe.py::test_debroot_live: more than one kind: live, system (debroot)" in said, (
        said
    )
    assert "test_fine" not in said, said


def test_a_debroot_test_is_system(tmp_path: Path) -> None:
    (tmp_path / "test_probe.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.debroot\ndef test_in_a_root():\n    pass\n\n"
        "@pytest.mark.live\ndef test_live():\n    pass\n"
    )
    run = run_pytest(tmp_path, "-m", "system", "-rp")
    assert "PASSED test_probe.py::test_in_a_root" in run.stdout, run.stdout + run.stderr
    assert "1 passed, 1 deselected" in run.stdout, run.stdout
