"""Large files through snapfront's own sendfile loop (server/zerocopy.py), on the stdlib loop and
on uvloop: whole and logged with their size, ranges between the calls, a client that reads
slowly but steadily kept, one that stops reset after send_timeout, a file that shrinks while
it is sent cut short, and no descriptor left behind.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest

from snapfront.sample import SampleHost
from tests.support import Running, running_server
from tests.test_connections import (
    BIG_SIZE,
    SLACK,
    address,
    closed_by_peer,
    connect,
    read_head,
    read_response,
    request,
    server_config,
)

pytestmark = pytest.mark.live

SEND = 1.0
"""send_timeout of these servers."""


def loop_or_fail(name: str) -> str:
    if name == "uvloop":
        try:
            import uvloop  # noqa: F401
        except ImportError:
            pytest.fail(
                "uvloop is missing: pip install uvloop (the test extra; Debian: python3-uvloop)"
            )
    return name


def server_pids(running: Running) -> list[int]:
    found = [running.process.pid]
    for pid in found:
        kids = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
        found.extend(map(int, kids.stdout.split()))
    return found


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The files mount: big.bin (BIG_SIZE bytes, none repeated nearby) and small.txt."""
    root = tmp_path_factory.mktemp("zerocopy-files")
    (root / "small.txt").write_bytes(b"small\n")
    with open(root / "big.bin", "wb") as fh:
        for i in range(BIG_SIZE // (1 << 20)):
            fh.write(hashlib.sha256(str(i).encode()).digest() * 32768)  # 1 MiB each
    return root


@pytest.fixture(scope="module", params=["asyncio", "uvloop"])
def server(
    request: pytest.FixtureRequest, sample_host: SampleHost, tree: Path
) -> Iterator[Running]:
    loop = loop_or_fail(request.param)
    config = server_config(sample_host, tree, f"zerocopy-{loop}.toml", send_timeout=SEND)
    with (
        mock.patch.dict(os.environ, {"SNAPFRONT_LOOP": loop}),
        running_server(config, "--no-watch") as running,
    ):
        maps = "".join(Path(f"/proc/{pid}/maps").read_text() for pid in server_pids(running))
        assert ("uvloop" in maps) == (loop == "uvloop"), f"not running on {loop}"
        yield running


def logged_bytes(running: Running, marker: str) -> int:
    """The byte count of the access-log line of the request whose target holds `marker`."""
    pattern = re.compile(rf'"GET [^"]*{re.escape(marker)} HTTP/1\.1" \d+ (\d+) ')
    for _ in range(50):  # the access log is written in batches, each within a second
        found = pattern.search(running.log.read_text())
        if found:
            return int(found.group(1))
        time.sleep(0.1)
    raise AssertionError(f"no access-log line for {marker}")


def test_a_large_file_arrives_whole_and_is_logged_with_its_size(
    server: Running, tree: Path
) -> None:
    with connect(server) as sock:
        sock.sendall(request("/conn/big.bin?whole"))
        head, body = read_response(sock)
        assert head.startswith(b"HTTP/1.1 200"), head
        sock.sendall(request("/conn/small.txt"))  # the same connection, kept alive after it
        assert read_response(sock)[0].startswith(b"HTTP/1.1 200")
    assert hashlib.sha256(body).digest() == hashlib.sha256((tree / "big.bin").read_bytes()).digest()
    assert logged_bytes(server, "?whole") == BIG_SIZE


def test_multiple_ranges_interleave_heads_and_file_bytes(server: Running, tree: Path) -> None:
    data = (tree / "big.bin").read_bytes()
    spans = [(0, 9), (3 << 20, (5 << 20) - 1), (BIG_SIZE - 100, BIG_SIZE - 1)]
    ranges = ",".join(f"{a}-{b}" for a, b in spans)
    with connect(server) as sock:
        sock.sendall(request("/conn/big.bin", f"Range: bytes={ranges}"))
        head, body = read_response(sock)
    assert head.startswith(b"HTTP/1.1 206"), head
    boundary = re.search(rb"boundary=([^\s;]+)", head).group(1)
    parts = body.split(b"--" + boundary)[1:-1]
    assert len(parts) == len(spans)
    for part, (a, b) in zip(parts, spans, strict=True):
        part_head, _, part_body = part.partition(b"\r\n\r\n")
        assert f"Content-Range: bytes {a}-{b}/{BIG_SIZE}".encode() in part_head, part_head
        assert part_body == data[a : b + 1] + b"\r\n"


def test_a_slow_but_steady_reader_is_not_reset(server: Running, tree: Path) -> None:
    """About 2.5 MB/s for two and a half send_timeouts: the socket takes more of the body
    within every period (once a third of its send buffer, at most 4 MiB, has drained), so the
    download lives on; then the rest, fast, is the file."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 256 << 10)
    sock.settimeout(10)
    with sock:
        sock.connect(address(server))
        sock.sendall(request("/conn/big.bin?steady"))
        head, body = read_head(sock)
        end = time.monotonic() + 2.5 * SEND
        while time.monotonic() < end:
            chunk = sock.recv(128 << 10)
            assert chunk, f"reset after {len(body)} bytes, while the client kept reading"
            body += chunk
            time.sleep(0.05)
        assert len(body) < BIG_SIZE, "read too fast to test anything"
        _, body = read_response(sock, (head, body))
    assert body == (tree / "big.bin").read_bytes()


def test_a_reader_that_stops_is_reset_after_send_timeout(server: Running) -> None:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    with sock:
        sock.connect(address(server))
        sock.sendall(request("/conn/big.bin?stalled"))
        start = time.monotonic()
        while not closed_by_peer(sock):
            assert time.monotonic() - start < SEND + SLACK, "still open past send_timeout"
            time.sleep(0.02)
        assert time.monotonic() - start >= SEND - 0.3
    assert 0 < logged_bytes(server, "?stalled") < BIG_SIZE


def test_a_file_that_shrinks_while_it_is_sent_ends_the_connection_short(
    server: Running, tree: Path
) -> None:
    shrinking = tree / "shrinking.bin"
    shrinking.write_bytes((tree / "big.bin").read_bytes())
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(5)
    with sock:
        sock.connect(address(server))
        sock.sendall(request("/conn/shrinking.bin"))
        head, body = read_head(sock)
        os.truncate(shrinking, 1 << 20)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        while chunk := sock.recv(1 << 20):  # closed, not kept alive waiting for the rest
            body += chunk
    assert head.startswith(b"HTTP/1.1 200") and b"Content-Length: %d" % BIG_SIZE in head
    assert len(body) < BIG_SIZE


def test_no_descriptor_is_left_behind(server: Running) -> None:
    """Whole, aborted and reset downloads: the worker's open descriptors go back to what they
    were (the loop's dup of each socket is closed with its response)."""

    def descriptors() -> int:
        return sum(len(os.listdir(f"/proc/{pid}/fd")) for pid in server_pids(server))

    before = descriptors()
    for i in range(20):
        with connect(server) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
            sock.sendall(request(f"/conn/big.bin?fd={i}"))
            assert sock.recv(4096).startswith(b"HTTP/1.1 200")
    with connect(server) as sock:
        sock.sendall(request("/conn/big.bin", "Connection: close"))
        assert len(read_response(sock)[1]) == BIG_SIZE
    for _ in range(50):
        if descriptors() <= before:
            break
        time.sleep(0.1)
    assert descriptors() <= before
