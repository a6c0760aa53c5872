"""sd_notify on the host, no chroot: the datagram protocol with a real socket, and `serve`
telling a test-owned NOTIFY_SOCKET READY=1 (once it answers) and STOPPING=1 (on SIGTERM)."""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from snapfront.sample import SampleHost
from snapfront.server import sd_notify
from tests.support import fetch, running_server, with_listen

pytestmark = pytest.mark.live


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[tuple[str, socket.socket]]:
    """An AF_UNIX datagram socket standing in for systemd's notification socket."""
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(10)
    yield path, sock
    sock.close()


def test_notify_sends_one_datagram(listener, monkeypatch: pytest.MonkeyPatch) -> None:
    path, sock = listener
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    assert sd_notify.notify("READY=1")
    assert sock.recv(4096) == b"READY=1"


def test_notify_abstract_namespace(monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"snapfront-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(10)
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        assert sd_notify.notify("STOPPING=1")
        assert sock.recv(4096) == b"STOPPING=1"


@pytest.mark.parametrize("value", [None, "", "vsock:2:1234", "/nonexistent/notify.sock"])
def test_notify_without_a_socket_is_harmless(value, monkeypatch: pytest.MonkeyPatch) -> None:
    if value is None:
        monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    else:
        monkeypatch.setenv("NOTIFY_SOCKET", value)
    assert sd_notify.notify("READY=1") is False


def _config(host: SampleHost, name: str, workers: int) -> Path:
    """The sample host's config (its relative roots) on a free port with `workers`."""
    config = with_listen(host.config, "127.0.0.1:0", host.dir / f"{name}.toml")
    text = config.read_text().replace("[server]\n", f"[server]\nworkers = {workers}\n", 1)
    config.write_text(text)
    return config


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_notifies_ready_then_stopping(
    workers: int, sample_host: SampleHost, listener, monkeypatch: pytest.MonkeyPatch
) -> None:
    """READY=1 comes from the main process (worker or supervisor) once a request succeeds."""
    path, sock = listener
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    with running_server(_config(sample_host, f"notify-{workers}", workers), "--no-watch") as server:
        assert sock.recv(4096) == b"READY=1"
        assert fetch(server.url + "debian/").status == 200
        server.signal(signal.SIGTERM)
        assert sock.recv(4096) == b"STOPPING=1"
        assert server.process.wait(timeout=15) == 0
    sock.settimeout(0.5)
    with pytest.raises(TimeoutError):  # nothing else: workers and the watcher stay silent
        print(sock.recv(4096))


def test_serve_without_notify_socket(
    sample_host: SampleHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside systemd nothing changes: serve announces, answers and exits 0 on SIGTERM."""
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    with running_server(_config(sample_host, "no-notify", 1)) as server:
        assert fetch(server.url + "debian/").status == 200
        server.signal(signal.SIGTERM)
        assert server.process.wait(timeout=15) == 0
