"""Raw-socket conversations with a live server, and the pieces of its answers and access log
that must not differ between the hot path and the full path (tests/test_hot_*.py)."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

SEGMENT_GAP = 0.05
"""Seconds between the segments of one conversation: each arrives as its own read."""
DATE = re.compile(rb"\r\nDate: [^\r\n]*\r\n")
LOG_LINE = re.compile(r'^(\S+) - - \[[^]]+\] (".*") (\S+)$')
"""An access-log line: the address, then the request to the user agent; then elapsed."""


def converse(url: str, segments: Sequence[bytes], timeout: float = 10.0) -> bytes:
    """Send `segments` on one connection, a gap apart, and read until the server closes."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    received = b""
    try:
        for index, segment in enumerate(segments):
            if index:
                time.sleep(SEGMENT_GAP)
            sock.sendall(segment)
        while chunk := sock.recv(1 << 16):
            received += chunk
    finally:
        sock.close()
    return received


def without_date(answer: bytes) -> bytes:
    return DATE.sub(b"\r\nDate: -\r\n", answer)


def access_lines(log: Path) -> list[str]:
    """The access-log lines of `log` without their timestamps and elapsed seconds."""
    found = []
    for line in log.read_text(errors="replace").splitlines():
        match = LOG_LINE.match(line)
        if match:
            found.append(f"{match[1]} {match[2]}")
    return found


COUNTERS = ("snapfront_http_requests_total", "snapfront_http_response_bytes_total",
            "snapfront_http_request_duration_seconds_count")  # fmt: skip


def counters(exposition: bytes) -> list[str]:
    """The request, byte and duration-count samples of a /-/metrics answer, sorted."""
    lines = exposition.decode().splitlines()
    return sorted(line for line in lines if line.startswith(COUNTERS))
