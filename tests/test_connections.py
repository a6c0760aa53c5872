"""Slow, idle, stray and hostile connections (issue 9; README: HTTP behaviour).

Raw sockets against a live `snapfront serve` whose deadlines are short: every kind of
connection that used to stay open forever is closed within its timeout (plus a second), while
ordinary requests made at the same time keep their latency.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import select
import socket
import struct
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from aiohttp import web

from snapfront.sample import SampleHost
from snapfront.server.protocol import Server
from tests.support import Running, running_server, with_listen

pytestmark = pytest.mark.live


HEADER, KEEPALIVE, SEND = 1.5, 2.0, 2.0
SLACK = 1.0
"""Each connection must be closed within its timeout plus this."""
BIG_SIZE = 8 << 20
SMALL = b"a small file\n"
TCP_CLOSE, TCP_CLOSE_WAIT = 7, 8


def server_config(host: SampleHost, files: Path, name: str, **keys: float) -> Path:
    """The sample host's config on a free port, with an extra files mount at /conn/."""
    config = with_listen(host.config, "127.0.0.1:0", host.dir / name)
    lines = "".join(f"{key} = {value}\n" for key, value in keys.items())
    text = config.read_text().replace("[server]\n", "[server]\n" + lines, 1)
    config.write_text(text + f'\n[[mount]]\nurl = "/conn/"\nkind = "files"\nroot = "{files}"\n')
    return config


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("conn-files")
    (root / "small.txt").write_bytes(SMALL)
    with open(root / "big.bin", "wb") as fh:
        for i in range(BIG_SIZE // (1 << 20)):
            fh.write(hashlib.sha256(str(i).encode()).digest() * 32768)  # 1 MiB each
    return root


@pytest.fixture(scope="module")
def server(sample_host: SampleHost, files: Path) -> Iterator[Running]:
    keys = {"header_timeout": HEADER, "keepalive_timeout": KEEPALIVE, "send_timeout": SEND}
    config = server_config(sample_host, files, "connections.toml", **keys, max_connections=300)
    with running_server(config, "--no-watch") as running:
        yield running


def address(running: Running) -> tuple[str, int]:
    parts = urlsplit(running.url)
    return parts.hostname or "127.0.0.1", parts.port or 80


def connect(running: Running) -> socket.socket:
    return socket.create_connection(address(running), timeout=10)


def request(path: str, *headers: str) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: test", *headers, "", ""]
    return "\r\n".join(lines).encode()


def read_head(sock: socket.socket) -> tuple[bytes, bytes]:
    """A response's head, and the start of its body that came with it."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return head, body


def read_response(
    sock: socket.socket, started: tuple[bytes, bytes] | None = None
) -> tuple[bytes, bytes]:
    """One response with a Content-Length: (head, body); `started`: its read_head already."""
    head, body = started or read_head(sock)
    length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed in the middle of a body"
        body += chunk
    return head, body


def tcp_state(sock: socket.socket) -> int:
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0]


def closed_by_peer(sock: socket.socket) -> bool:
    """The server has closed (FIN) or reset (RST) it, whether or not unread data remains."""
    try:
        if tcp_state(sock) in (TCP_CLOSE, TCP_CLOSE_WAIT):
            return True
    except OSError:
        return True
    if not select.select([sock], [], [], 0)[0]:
        return False
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def reset_on_close(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


@dataclass
class Watched:
    kind: str
    sock: socket.socket
    since: float  # when its deadline started
    limit: float  # its timeout
    slow_reader: bool = False
    closed_after: float | None = None
    next_read: float = 0.0
    received: int = 0


@dataclass
class Latencies:
    samples: list[float] = field(default_factory=list)

    def measure(self, running: Running, path: str) -> None:
        start = time.monotonic()
        with connect(running) as sock:
            sock.sendall(request(path, "Connection: close"))
            head, body = read_response(sock)
        self.samples.append(time.monotonic() - start)
        assert head.startswith(b"HTTP/1.1 200") and body == SMALL

    def p99(self) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def test_every_kind_of_stuck_connection_is_closed_in_time(server: Running) -> None:
    watched: list[Watched] = []
    for _ in range(20):
        sock = connect(server)
        sock.sendall(b"GET /conn/small.txt HT")  # half a request line, then nothing
        watched.append(Watched("half-sent request", sock, time.monotonic(), HEADER))
    for _ in range(20):
        watched.append(Watched("silent", connect(server), time.monotonic(), HEADER))
    idle = []
    for _ in range(20):
        sock = connect(server)
        sock.sendall(request("/conn/small.txt"))
        assert read_response(sock)[1] == SMALL
        watched.append(Watched("idle keep-alive", sock, time.monotonic(), KEEPALIVE))
        idle.append(watched[-1])
    for _ in range(5):
        sock = connect(server)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(request("/conn/big.bin"))
        slow = Watched("reader at 1 KB/s", sock, time.monotonic(), SEND, slow_reader=True)
        watched.append(slow)
    late: list[Watched] = []
    latencies = Latencies()
    start = time.monotonic()
    deadline = start + max(HEADER, KEEPALIVE, SEND) + 2 * SLACK + 1.0
    while time.monotonic() < deadline and any(w.closed_after is None for w in watched):
        latencies.measure(server, "/conn/small.txt")
        now = time.monotonic()
        if not late and now - start > 1.0:
            # A kept-alive connection idle for a second, then half a request: the header
            # deadline now runs from that first byte, not from the end of the response.
            for w in idle[:10]:
                w.sock.sendall(b"GET /conn/small.txt HTTP/1.1\r\nHost")
                late.append(Watched("late half request", w.sock, now, HEADER))
                w.closed_after = -1.0  # watched from now on as "late"
            watched.extend(late)
        for w in watched:
            if w.closed_after is not None:
                continue
            if w.slow_reader and now >= w.next_read:
                w.sock.setblocking(False)
                with contextlib.suppress(OSError):  # nothing yet, or reset
                    w.received += len(w.sock.recv(1024))
                w.next_read = now + 1.0
            if closed_by_peer(w.sock):
                w.closed_after = now - w.since
        time.sleep(0.02)
    try:
        for w in watched:
            if w.closed_after == -1.0:
                continue
            assert w.closed_after is not None, (
                f"{w.kind}: still open after {deadline - w.since:.1f} s"
            )
            assert w.limit - 0.3 <= w.closed_after <= w.limit + SLACK, (w.kind, w.closed_after)
        assert latencies.p99() < 0.1, sorted(latencies.samples)[-5:]
        assert len(latencies.samples) >= 20
    finally:
        for w in watched:
            w.sock.close()


def test_max_connections_refuses_the_extra_one_only_when_all_are_busy(
    sample_host: SampleHost, files: Path
) -> None:
    """Four downloads the clients do not read yet keep all of max_connections = 4 busy: a fifth
    is refused cleanly. Once they are done and kept alive, a newcomer closes the one that has
    waited longest (server/budget.py; tests/test_slow_flood.py floods it)."""
    keys = {"max_connections": 4, "keepalive_timeout": 30}
    config = server_config(sample_host, files, "connections-limit.toml", **keys)
    with running_server(config, "--no-watch") as running:
        served, started = [], []
        for _ in range(4):
            sock = socket.socket()  # a small buffer from the start: read fast once it grows
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.settimeout(10)
            sock.connect(address(running))
            sock.sendall(request("/conn/big.bin"))
            started.append(read_head(sock))
            assert started[-1][0].startswith(b"HTTP/1.1 200 "), started[-1][0]
            served.append(sock)
        extra = connect(running)
        extra.sendall(request("/conn/small.txt"))
        extra.settimeout(2)
        head, body = read_response(extra)
        assert head.startswith(b"HTTP/1.1 503 "), head
        assert re.search(rb"(?im)^retry-after: \d+\r?$", head), head
        assert re.search(rb"(?im)^server: snapfront\r?$", head), head  # no versions here either
        assert re.search(rb"(?im)^connection: close\r?$", head), head
        assert extra.recv(100) == b"", "the refused connection is closed after its 503"
        extra.close()
        # The others are still served: every download completes.
        for sock, begun in zip(served, started, strict=True):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            assert len(read_response(sock, begun)[1]) == BIG_SIZE
        time.sleep(0.3)  # all four wait for their next request now, the first longest
        with connect(running) as again:
            again.sendall(request("/conn/small.txt"))
            head, body = read_response(again)
            assert head.startswith(b"HTTP/1.1 200") and body == SMALL
        time.sleep(0.3)
        assert closed_by_peer(served[0]) and not closed_by_peer(served[3])
        served[3].sendall(request("/conn/small.txt"))
        assert read_response(served[3])[1] == SMALL
        for sock in served:
            sock.close()


def answer_or_close(sock: socket.socket, within: float) -> bytes:
    """All the server sends until it closes; fails if it neither answers nor closes in time."""
    sock.settimeout(within)
    data = b""
    end = time.monotonic() + within
    while True:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            raise AssertionError(f"left hanging after {within} s: got {data!r}") from None
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk
        sock.settimeout(max(0.01, end - time.monotonic()))


@pytest.mark.parametrize("line", [b"GET /conn/small.txt\r\n", b"GET /conn/small.txt\r\n\r\n"])
def test_http09_request_line_is_answered_in_http11(server: Running, line: bytes) -> None:
    with connect(server) as sock:
        sock.sendall(line)
        data = answer_or_close(sock, within=1.0)  # header_timeout is 1.5 s
    assert not data.startswith(b"HTTP/0.9"), data
    assert data == b"" or re.match(rb"HTTP/1\.1 4\d\d ", data), data


def test_request_pipelined_after_upgrade_is_not_left_hanging(server: Running) -> None:
    upgrade = request("/conn/small.txt", "Connection: Upgrade, HTTP2-Settings",
                      "Upgrade: h2c", "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA")  # fmt: skip
    with connect(server) as sock:
        sock.sendall(upgrade + request("/conn/small.txt"))
        head, body = read_response(sock)
        assert head.startswith(b"HTTP/1.1 200") and body == SMALL
        rest = answer_or_close(sock, within=1.0)  # keepalive_timeout is 2 s
    assert rest == b"" or rest.startswith(b"HTTP/1.1 200"), rest


def test_absolute_form_target_is_served_like_its_path(server: Running) -> None:
    host, port = address(server)
    with connect(server) as sock:
        sock.sendall(request("/conn/small.txt"))
        origin_head, origin_body = read_response(sock)
        sock.sendall(request(f"http://{host}:{port}/conn/small.txt"))
        head, body = read_response(sock)
    assert origin_head.startswith(b"HTTP/1.1 200")
    assert head.startswith(b"HTTP/1.1 200"), head
    assert body == origin_body == SMALL


def test_aborted_downloads_and_bad_request_lines_leave_no_traceback(server: Running) -> None:
    count = 1000
    start = time.monotonic()
    for i in range(count):
        with connect(server) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
            sock.sendall(request(f"/conn/big.bin?abort={i}"))
            first = sock.recv(4096)
            assert first.startswith(b"HTTP/1.1 200"), first
            if i % 2:
                reset_on_close(sock)  # half of them RST, half FIN
    for bad in (b"GET /a b c\r\n\r\n", b"\x16\x03\x01\x00\xa5\x01\x00\r\n\r\n", b"GET / HTTP/1.1\r\nno colon\r\n\r\n"):  # fmt: skip
        with connect(server) as sock:
            sock.sendall(bad)
            assert re.match(rb"HTTP/1\.[01] 400 ", answer_or_close(sock, within=2.0))
    assert time.monotonic() - start < 40
    log = ""
    for _ in range(50):  # the access log is written in batches; every line within a second
        time.sleep(0.1)
        log = server.log.read_text()
        if len(re.findall(r"\?abort=\d+ HTTP/1\.1\" 200 ", log)) == count:
            break
    assert "Traceback" not in log, log[log.find("Traceback") - 200 :][:3000]
    assert len(set(re.findall(r"\?abort=(\d+) HTTP/1\.1\" 200 ", log))) == count
    assert len(re.findall(r'" 400 \d+ ', log)) >= 3


async def test_only_real_failures_log_a_traceback(caplog: pytest.LogCaptureFixture) -> None:
    """A handler that fails is a 500 with its traceback logged; one whose client went away
    (ConnectionResetError) is not an error of ours and logs nothing."""

    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        raise (ConnectionResetError if request.path == "/gone" else RuntimeError)("boom")

    runner = web.ServerRunner(Server(handle), handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        for path, status in (("/bug", b"500"), ("/gone", b"500")):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(request(path, "Connection: close"))
            answer = await asyncio.wait_for(reader.read(), 5)
            writer.close()
            assert answer.split(b" ", 2)[1] == status, answer
    finally:
        await runner.cleanup()
    failures = [r for r in caplog.records if r.exc_info]
    assert [type(r.exc_info[1]) for r in failures] == [RuntimeError], caplog.text
