"""A slow-client flood against one worker (issue 17): 500 half-sent request heads plus 100
silent, 100 idle kept-alive and 100 slowly reading connections, all with the default timeouts,
while 200 ordinary requests (a new connection each) come in over ten seconds. Every ordinary
request is answered, p99 under 100 ms: with a budget of 600 the half-sent heads that waited
longest are closed to make room (oldest first, nothing else), and the default budget holds
the whole flood without closing any."""

from __future__ import annotations

import contextlib
import re
import resource
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from snapfront.sample import SampleHost
from snapfront.server.budget import low_water
from tests.support import Running, fetch, running_server
from tests.test_connections import (  # noqa: F401 (files: a fixture)
    SMALL,
    Latencies,
    closed_by_peer,
    connect,
    files,
    read_response,
    request,
    server_config,
)

pytestmark = pytest.mark.live


HALF, SILENT, IDLE, SLOW = 500, 100, 100, 100
FLOOD = HALF + SILENT + IDLE + SLOW
NORMAL, NORMAL_SECONDS = 200, 10.0
BUDGET = 600
"""Small enough that the flood exceeds it, so the test sees who is closed for room."""
RUNNING_LOW = "running low"


@dataclass
class Flood:
    """The flood's sockets by kind, each list in the order its sockets were opened."""

    kinds: dict[str, list[socket.socket]] = field(default_factory=dict)
    next_read: float = 0.0

    def all(self) -> list[socket.socket]:
        return [sock for socks in self.kinds.values() for sock in socks]

    def read_slowly(self) -> None:
        """The slow readers take 1 KiB each, once a second: never done, never stalled."""
        if time.monotonic() < self.next_read:
            return
        self.next_read = time.monotonic() + 1.0
        for sock in self.kinds["slow"]:
            with contextlib.suppress(BlockingIOError):
                sock.recv(1024, socket.MSG_DONTWAIT)

    def closed(self, kind: str) -> list[int]:
        """The indices, in opening order, of the `kind` sockets the server has closed."""
        return [n for n, sock in enumerate(self.kinds[kind]) if closed_by_peer(sock)]


@pytest.fixture
def client_files() -> Iterator[None]:
    """Room in this process's own open-file limit for the flood plus the ordinary clients."""
    want = 2 * FLOOD + 512
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert hard == resource.RLIM_INFINITY or hard >= want, (
        f"open-file hard limit {hard} < {want}: raise it (ulimit -Hn, LimitNOFILE=)"
    )
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, want), hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def open_flood(running: Running) -> Flood:
    flood = Flood()
    flood.kinds["half"] = [connect(running) for _ in range(HALF)]
    for sock in flood.kinds["half"]:
        sock.sendall(b"GET /conn/small.txt HTTP/1.1\r\nHost: te")  # and nothing more
    flood.kinds["silent"] = [connect(running) for _ in range(SILENT)]
    flood.kinds["idle"] = []
    for _ in range(IDLE):
        sock = connect(running)
        sock.sendall(request("/conn/small.txt"))
        assert read_response(sock)[1] == SMALL
        flood.kinds["idle"].append(sock)
    flood.kinds["slow"] = []
    for _ in range(SLOW):
        sock = connect(running)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(request("/conn/big.bin"))
        assert sock.recv(1024).startswith(b"HTTP/1.1 200 "), "a slow reader's download starts"
        flood.kinds["slow"].append(sock)
    return flood


def ordinary_requests(running: Running, flood: Flood) -> Latencies:
    """NORMAL requests spread over NORMAL_SECONDS, each on a new connection; all must be 200."""
    latencies = Latencies()
    start = time.monotonic()
    for n in range(NORMAL):
        time.sleep(max(0.0, start + n * NORMAL_SECONDS / NORMAL - time.monotonic()))
        latencies.measure(running, "/conn/small.txt")
        flood.read_slowly()
    return latencies


def flooded(running: Running) -> tuple[Flood, Latencies]:
    flood = open_flood(running)
    try:
        latencies = ordinary_requests(running, flood)
    except BaseException:
        for sock in flood.all():
            sock.close()
        raise
    assert len(latencies.samples) == NORMAL
    assert latencies.p99() < 0.1, sorted(latencies.samples)[-5:]
    return flood, latencies


def counter(running: Running, name: str) -> float:
    text = fetch(running.url + "-/metrics").body.decode()
    found = re.search(rf"(?m)^{name} (\S+)$", text)
    assert found, f"{name} not in /-/metrics"
    return float(found.group(1))


def test_a_budget_too_small_for_the_flood_closes_the_oldest_waiting_heads(
    sample_host: SampleHost,
    files: Path,  # noqa: F811
    client_files: None,
) -> None:
    config = server_config(sample_host, files, "flood-budget.toml", max_connections=BUDGET)
    with running_server(config, "--no-watch") as running:
        flood, _ = flooded(running)
        try:
            closed = flood.closed("half")
            others = {kind: flood.closed(kind) for kind in ("silent", "idle", "slow")}
            evicted = counter(running, "snapfront_http_connections_evicted_total")
            refused = counter(running, "snapfront_http_connections_refused_total")
        finally:
            for sock in flood.all():
                sock.close()
    # The flood beyond the budget's low water (where the reserve starts) was closed for room:
    # the half-sent heads that had waited longest, in order; nothing being answered or newer.
    assert len(closed) >= FLOOD - low_water(BUDGET), len(closed)
    assert closed == list(range(len(closed))), closed
    assert others == {"silent": [], "idle": [], "slow": []}, others
    assert evicted >= len(closed) and refused == 0, (evicted, refused)
    said = [line for line in running.log.read_text().splitlines() if RUNNING_LOW in line]
    assert 1 <= len(said) <= 3, said
    assert f"max_connections = {BUDGET} running low: closed " in said[0], said[0]


def test_the_default_budget_holds_the_flood_without_closing_any(
    sample_host: SampleHost,
    files: Path,  # noqa: F811
    client_files: None,
) -> None:
    config = server_config(sample_host, files, "flood-default.toml")
    assert "max_connections" not in config.read_text()
    with running_server(config, "--no-watch") as running:
        flood, _ = flooded(running)
        try:
            closed = {kind: flood.closed(kind) for kind in flood.kinds}
            evicted = counter(running, "snapfront_http_connections_evicted_total")
            opened = counter(running, "snapfront_http_connections_open")
        finally:
            for sock in flood.all():
                sock.close()
    assert closed == {kind: [] for kind in flood.kinds}, closed
    assert evicted == 0 and opened >= FLOOD, (evicted, opened)
    assert RUNNING_LOW not in running.log.read_text()
