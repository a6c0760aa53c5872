"""Requests as bytes on the wire to a live `snapfront serve`: methods other than GET and HEAD,
URLs too long or with bad bytes, request lines aiohttp's parser refuses, and pipelining as APT
does it (answers in order, HEAD with no body)."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest

from snapfront.sample import SampleHost
from tests.http_support import (
    Item,
    assert_no_store,
    etag_of,
    raw,
)

# ---------------------------------------------------------------- methods


pytestmark = pytest.mark.live


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"])
def test_other_methods_are_405(base_url: str, sample_items: dict[str, Item], method: str) -> None:
    reply = raw(base_url, sample_items["deb"].path, method=method, headers={"Content-Length": "0"})
    assert reply.status == 405
    assert reply.header("Allow") == "GET, HEAD"
    assert_no_store(reply)


# ---------------------------------------------------------------- malformed request paths


def test_over_long_url_is_414(base_url: str) -> None:
    reply = raw(base_url, "/mediawiki/" + "a" * 4989)
    assert reply.status == 414
    assert_no_store(reply)


@pytest.mark.parametrize(
    "path", ["/mediawiki/%00", "/debian/pool/%00.deb", "/mediawiki/%zz", "/debian/%2"]
)
def test_bad_bytes_in_path_are_400(base_url: str, path: str) -> None:
    reply = raw(base_url, path)
    assert reply.status == 400
    assert_no_store(reply)


# ---------------------------------------------------------------- pipelining


def pipeline(
    base_url: str, requests: list[tuple[str, str]]
) -> list[tuple[int, dict[str, str], bytes]]:
    """Send every request in one write on one connection (the last asks to close), read all."""
    parts = urlsplit(base_url)
    host = f"{parts.hostname}:{parts.port}"
    wire = b""
    for index, (method, path) in enumerate(requests):
        connection = "close" if index == len(requests) - 1 else "keep-alive"
        wire += (
            f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: {connection}\r\n\r\n".encode()
        )
    received = bytearray()
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(wire)
        while chunk := sock.recv(65536):
            received += chunk
    replies = []
    pos = 0
    for method, _ in requests:
        head_end = received.index(b"\r\n\r\n", pos)
        status_line, *lines = received[pos:head_end].decode("latin-1").split("\r\n")
        status = int(status_line.split()[1])
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        assert "chunked" not in headers.get("transfer-encoding", ""), headers
        length = 0 if method == "HEAD" or status == 304 else int(headers["content-length"])
        body = bytes(received[head_end + 4 : head_end + 4 + length])
        assert len(body) == length, "connection closed before the body was complete"
        replies.append((status, headers, body))
        pos = head_end + 4 + length
    assert received[pos:] == b"", "bytes left over after the last response"
    return replies


def test_pipelined_requests_are_answered_in_order(
    base_url: str, sample_host: SampleHost, sample_items: dict[str, Item]
) -> None:
    """APT pipelines up to 10 requests per connection and needs the answers in order."""
    new = sample_host.serials[1]
    packages = f"dists/bookworm/snapshots/{new}/main/binary-amd64/Packages"
    wanted = [
        (sample_items["inrelease"].path, sample_items["inrelease"].file),
        (sample_items["deb"].path, sample_items["deb"].file),
        (
            f"/debian/{new}/dists/bookworm/main/binary-amd64/Packages",
            sample_host.snapshots_root / packages,
        ),
        (sample_items["tarball"].path, sample_items["tarball"].file),
        (
            f"/debian/{new}/dists/bookworm/Release",
            sample_host.snapshots_root / f"dists/bookworm/snapshots/{new}/Release",
        ),
    ]
    replies = pipeline(base_url, [("GET", path) for path, _ in wanted])
    assert len(replies) == 5
    for (path, file), (status, headers, body) in zip(wanted, replies, strict=True):
        assert status == 200, path
        assert body == file.read_bytes(), path
        assert headers["etag"] == etag_of(file), path


def test_pipelined_head_sends_no_body(base_url: str, sample_items: dict[str, Item]) -> None:
    """A HEAD answered with body bytes would corrupt the next pipelined response."""
    deb, inrelease = sample_items["deb"], sample_items["inrelease"]
    requests = [
        ("HEAD", deb.path),
        ("GET", inrelease.path),
        ("HEAD", inrelease.path),
        ("GET", deb.path),
    ]
    replies = pipeline(base_url, requests)
    assert [status for status, _, _ in replies] == [200, 200, 200, 200]
    assert int(replies[0][1]["content-length"]) == deb.size
    assert replies[1][2] == inrelease.data
    assert replies[3][2] == deb.data


def test_parser_errors_are_not_cached_either(base_url: str) -> None:
    """A request line aiohttp itself refuses is a 400 with no-store like every other 4xx."""
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(b"GET /mediawiki/a b.txt HTTP/1.1\r\nHost: x\r\n\r\n")
        head = sock.recv(65536).split(b"\r\n\r\n")[0].decode()
    assert head.split()[1] == "400"
    assert "Cache-Control: no-store" in head
