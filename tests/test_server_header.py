"""Every answer says `Server: snapfront` and nothing of Python's or aiohttp's versions: files,
streamed bodies, ranges, 304s, redirects, error pages, snapfront's /-/ URLs, the 400s aiohttp's
own parser sends (the 503 over max_connections: tests/test_connections.py). snapfront's version stays in
/-/status.json, for those [metrics] allow."""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from snapfront import __version__
from snapfront.sample import SampleHost
from tests.support import Running, fetch, running_server
from tests.test_connections import files, read_response, request, server_config  # noqa: F401

pytestmark = pytest.mark.live


LIMIT = 4
"""max_connections of the server here: the test holds that many open to be refused once."""


@pytest.fixture(scope="module")
def server(sample_host: SampleHost, files: Path) -> Iterator[Running]:  # noqa: F811
    config = server_config(sample_host, files, "server-header.toml", max_connections=LIMIT)
    with running_server(config, "--no-watch") as running:
        yield running


def raw_head(running: Running, data: bytes) -> str:
    """The head of the answer to bytes sent as they are (what no client library would send)."""
    parts = urlsplit(running.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(data)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    return received.split(b"\r\n\r\n")[0].decode("latin-1")


def server_headers(head: str) -> list[str]:
    return re.findall(r"(?im)^server:[ \t]*(.*?)\r?$", head)


def requests(host: SampleHost) -> list[tuple[str, str, dict[str, str], int]]:
    """(method, path, headers, status): one of each kind of answer."""
    new = host.serials[1]
    now = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    inrelease = f"/debian/{new}/dists/bookworm/InRelease"
    return [
        ("GET", "/conn/small.txt", {}, 200),
        ("GET", "/conn/big.bin", {}, 200),  # 8 MiB: sendfile from the open file
        ("HEAD", "/conn/big.bin", {}, 200),
        ("GET", "/conn/big.bin", {"Range": "bytes=0-99"}, 206),
        ("GET", inrelease, {"Range": "bytes=0-1,5-6"}, 206),
        ("GET", inrelease, {"If-None-Match": "*"}, 304),
        ("GET", inrelease, {"If-Match": '"other"'}, 412),
        ("GET", inrelease, {"Range": "bytes=99999999-"}, 416),
        ("GET", f"/debian/dists/bookworm/snapshots/{new}/InRelease", {}, 200),
        ("GET", "/debian/", {"Accept-Encoding": "br"}, 200),
        ("GET", "/debian", {}, 301),
        ("GET", "//debian/project/trace/debian", {}, 301),
        ("GET", f"/debian/dists/bookworm/snapshots/{new}/", {}, 301),
        ("GET", f"/debian/{now}/", {}, 302),
        ("GET", "/debian/2099123199/dists/bookworm/InRelease", {}, 404),
        ("GET", "/nowhere", {"Accept": "text/html"}, 404),
        ("DELETE", "/conn/small.txt", {}, 405),
        ("GET", "/" + "a" * 5000, {}, 414),
        ("GET", "/-/healthy", {}, 200),
        ("GET", "/-/metrics", {}, 200),
        ("GET", "/-/static/feed.xsl", {}, 200),
    ]


def test_every_kind_of_answer_says_snapfront_without_versions(
    sample_host: SampleHost, server: Running
) -> None:
    base = server.url.rstrip("/")
    for method, path, headers, status in requests(sample_host):
        reply = fetch(base, method, headers=headers, path=path)
        assert reply.status == status, (method, path[:60], reply.status, reply.body[:200])
        assert reply.headers.get_all("Server") == ["snapfront"], (path[:60], reply.headers)
    ready = fetch(base + "/-/ready")  # 200 or 503, by the host's health
    assert ready.headers.get_all("Server") == ["snapfront"]


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"GET /conn/small.txt HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", "aiohttp's 400"),
        (b"GET /mediawiki/a b.txt HTTP/1.1\r\nHost: x\r\n\r\n", "aiohttp's 400"),
        (b"GET /conn/small.txt\r\n", "HTTP/0.9"),
        (b"GET //conn/small.txt HTTP/1.0\r\n\r\n", "a 301 to HTTP/1.0"),
    ],
)
def test_answers_to_what_no_library_sends_say_snapfront(
    server: Running, data: bytes, why: str
) -> None:
    head = raw_head(server, data)
    assert head.startswith("HTTP/1."), (why, head)
    assert server_headers(head) == ["snapfront"], (why, head)


def test_the_version_stays_in_status_json(server: Running) -> None:
    reply = fetch(server.url.rstrip("/") + "/-/status.json")
    assert reply.status == 200 and reply.header("Server") == "snapfront"
    assert json.loads(reply.body)["version"] == __version__
    assert __version__.encode() not in b"".join(
        value.encode() for value in reply.headers.values()
    ), reply.headers
