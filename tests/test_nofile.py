"""Open files for max_connections (issue 14: ten thousand clients): `serve` raises its soft
RLIMIT_NOFILE as far as `[server] max_connections` needs in each worker, and says once, on
stderr, when the hard limit (LimitNOFILE=, ulimit -n) is too low. Run under util-linux's
prlimit with a low soft and hard limit; the limits read back from /proc/PID/limits."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from snapfront.base.config import MAX_CONNECTIONS
from snapfront.server.nofile import needed
from tests.support import Running, running_server

pytestmark = pytest.mark.live


SOFT, HARD = 256, 2048


def limits(pid: int) -> tuple[int, int]:
    """(soft, hard) open files of `pid`."""
    text = Path(f"/proc/{pid}/limits").read_text()
    found = re.search(r"^Max open files\s+(\d+)\s+(\d+)", text, re.M)
    assert found, text
    return int(found.group(1)), int(found.group(2))


def workers_of(server: Running) -> list[int]:
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children").read_text()
    return [int(pid) for pid in children.split()]


def config(tmp_path: Path, max_connections: int | None) -> Path:
    """Two workers; `max_connections` None: the key left out, its default applies."""
    (tmp_path / "files").mkdir(exist_ok=True)
    path = tmp_path / f"nofile{max_connections}.toml"
    key = "" if max_connections is None else f"max_connections = {max_connections}\n"
    path.write_text(
        f'[server]\nlisten = "127.0.0.1:0"\noutput = "{tmp_path / "out"}"\nworkers = 2\n'
        f'{key}\n[[mount]]\nurl = "/"\nkind = "files"\nroot = "{tmp_path / "files"}"\n'
    )
    return path


def prlimit(hard: int = HARD) -> list[str]:
    tool = shutil.which("prlimit")
    assert tool, "prlimit not found (util-linux): apt-get install util-linux"
    return [tool, f"--nofile={SOFT}:{hard}"]


def unit_limit() -> int:
    """LimitNOFILE= of the systemd unit the Debian package installs."""
    text = (Path(__file__).parent.parent / "debian" / "snapfront.service").read_text()
    found = re.search(r"(?m)^LimitNOFILE=(\d+)$", text)
    assert found, "debian/snapfront.service sets no LimitNOFILE="
    return int(found.group(1))


@pytest.mark.parametrize("max_connections", [512, 700])
def test_the_soft_limit_is_raised_to_what_max_connections_needs(
    tmp_path: Path, max_connections: int
) -> None:
    with running_server(config(tmp_path, max_connections), prefix=prlimit()) as server:
        pids = [server.process.pid, *workers_of(server)]
        found = {pid: limits(pid) for pid in pids}
    assert len(pids) >= 3, "the supervisor, two workers (and the watcher)"
    assert set(found.values()) == {(needed(max_connections), HARD)}, found
    assert "open files" not in server.log.read_text()


def test_a_hard_limit_too_low_is_said_once_and_the_soft_limit_raised_to_it(
    tmp_path: Path,
) -> None:
    with running_server(config(tmp_path, 5000), prefix=prlimit()) as server:
        found = {pid: limits(pid) for pid in [server.process.pid, *workers_of(server)]}
    assert set(found.values()) == {(HARD, HARD)}, found
    said = [line for line in server.log.read_text().splitlines() if "open files" in line]
    assert len(said) == 1, said
    assert f"LimitNOFILE={needed(5000)}" in said[0] and "ulimit -n" in said[0], said[0]


def test_the_units_limit_holds_the_default_budget(tmp_path: Path) -> None:
    """Under the unit's LimitNOFILE, the default max_connections gets all it needs, unsaid."""
    hard = unit_limit()
    with running_server(config(tmp_path, None), prefix=prlimit(hard)) as server:
        found = {pid: limits(pid) for pid in [server.process.pid, *workers_of(server)]}
    assert set(found.values()) == {(needed(MAX_CONNECTIONS), hard)}, found
    assert "open files" not in server.log.read_text()
