"""Bad input that used to escape as tracebacks (issue 9, failure 7): each is one line naming the
file and key, exit 2, before anything is built or written, for every command that reads it."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_config import GOOD_MOUNT, run

pytestmark = pytest.mark.live


COMMANDS = ["check-config", "build", "serve"]


def _expect_one_line(result: subprocess.CompletedProcess, config: Path, expected: str) -> None:
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"snapfront: {config}: "), lines[0]
    assert expected in lines[0]


@pytest.mark.parametrize(
    "data",
    [
        '[server]\noutput = "out"\n# caf\u00e9\n'.encode("latin-1") + GOOD_MOUNT.encode(),
        ('[server]\noutput = "out"\n' + GOOD_MOUNT).encode("utf-16"),
    ],
    ids=["latin-1", "utf-16-bom"],
)
@pytest.mark.parametrize("command", COMMANDS)
def test_a_config_that_is_not_utf8(tmp_path: Path, data: bytes, command: str) -> None:
    (tmp_path / "root").mkdir()
    config = tmp_path / "snapfront.toml"
    config.write_bytes(data)
    result = subprocess.run(
        [sys.executable, "-m", "snapfront.cli", command, "--config", str(config)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    _expect_one_line(result, config, "not UTF-8")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[server]\noutput = "out"\nlisten = "no-such-host.invalid:8080"\n' + GOOD_MOUNT,
            "server.listen: cannot resolve host 'no-such-host.invalid'",
        ),
        ('[server]\noutput = "key.gpg"\n' + GOOD_MOUNT, "server.output: not a directory"),
        (
            '[server]\noutput = "key.gpg/out"\n' + GOOD_MOUNT,
            "server.output: cannot be created: ",
        ),
        (
            '[server]\noutput = "out"\n[[cdn]]\npurge = "http://"\n' + GOOD_MOUNT,
            "cdn[0].purge: must be an http(s) URL with a host",
        ),
        (
            '[server]\noutput = "out"\n[[cdn]]\npurge = "http:/debian"\n' + GOOD_MOUNT,
            "cdn[0].purge: must be an http(s) URL with a host",
        ),
        (
            '[server]\noutput = "out"\n[[cdn]]\npurge = "http://127.0.0.1:99999"\n' + GOOD_MOUNT,
            "cdn[0].purge: must be an http(s) URL with a host",
        ),
        (
            '[server]\noutput = "out"\n[[cdn]]\npurge = "http://[::1"\n' + GOOD_MOUNT,
            "cdn[0].purge: must be an http(s) URL with a host",
        ),
        (
            '[server]\noutput = "out"\npublic_url = "http://[::1"\n' + GOOD_MOUNT,
            "server.public_url: must be an absolute http(s) URL with a host",
        ),
        (
            '[server]\noutput = "out"\npublic_url = "http://a b/"\n' + GOOD_MOUNT,
            "server.public_url: must be an absolute http(s) URL with a host",
        ),
        (
            '[server]\noutput = "out"\n[[cdn]]\npurge = "http://x"\nhosts = ["a\\r\\nb"]\n'
            + GOOD_MOUNT,
            "cdn[0].hosts: must be a list of host names",
        ),
        (
            '[server]\noutput = "' + "x/" * 3000 + '"\n' + GOOD_MOUNT,
            "server.output: longer than 4095 bytes",
        ),
        (
            '[server]\noutput = "out"\n[[mount]]\nurl = "/a/"\nkind = "files"\nroot = "ro\\u0000ot"\n',
            "mount[0].root: must not contain a NUL character",
        ),
    ],
)
@pytest.mark.parametrize("command", COMMANDS)
def test_bad_values_that_used_to_crash(
    tmp_path: Path, text: str, expected: str, command: str
) -> None:
    result = run(tmp_path, text, command)
    _expect_one_line(result, tmp_path / "snapfront.toml", expected)
    assert not (tmp_path / "out").exists()
    assert (tmp_path / "key.gpg").read_bytes() == b"x", "the file named as output is untouched"


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port some other program listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_serve_on_a_port_in_use_stops_before_building(tmp_path: Path, taken_port: int) -> None:
    text = f'[server]\noutput = "out"\nlisten = "127.0.0.1:{taken_port}"\n' + GOOD_MOUNT
    assert run(tmp_path, text, "check-config").returncode == 0, "check-config does not bind"
    result = run(tmp_path, text, "serve")
    _expect_one_line(result, tmp_path / "snapfront.toml", "server.listen: cannot listen on")
    assert "in use" in result.stderr
    assert not (tmp_path / "out").exists(), "nothing is built for a port that cannot be had"


@pytest.mark.parametrize("listen", ["taken", "127.0.0.1:http", "no-such-host.invalid:8080"])
def test_demo_refuses_a_bad_listen_before_its_banner(
    tmp_path: Path, taken_port: int, listen: str
) -> None:
    if listen == "taken":
        listen = f"127.0.0.1:{taken_port}"
    demo = tmp_path / "demo"
    result = subprocess.run(
        [sys.executable, "-m", "snapfront.cli", "demo", "--dir", str(demo), "--listen", listen],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2, result
    assert result.stdout == "", "no banner, no sample host"
    assert result.stderr.startswith("snapfront: --listen: "), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not demo.exists()
