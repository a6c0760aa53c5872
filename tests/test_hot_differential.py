"""The hot path answers exactly as the full path does (README: Serving at speed, the hot path).

Two live servers on the same host, one with SNAPFRONT_FAST_PATH=0, are sent the same corpus
of raw requests three times (the first round teaches the hot path its answers, the second is
answered from them, the third replays the reads that were exactly one head from the second's
kept bytes: server.hot's Replay): every answer is the same byte for byte but for `Date`, and so are the
access-log lines (but for timestamps and elapsed seconds) and the request counters."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from snapfront.sample import SampleHost
from tests.hot_support import access_lines, converse, counters, without_date
from tests.support import Running, fetch, running_server, with_listen

pytestmark = pytest.mark.live

RELEASE = "/debian/{new}/dists/bookworm/Release"
INRELEASE = "/debian/{new}/dists/bookworm/InRelease"
DEB = "/debian/{new}/pool/main/h/hello/hello_1.1%7erc1-1_all.deb"
UNKNOWN = "/debian/2099010100/dists/bookworm/Release"
CLOSE = b"GET /debian/ HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
"""Ends every conversation that would otherwise stay open: the server then closes it."""


def head(target: str, *fields: str, method: str = "GET", version: str = "1.1") -> bytes:
    lines = [f"{method} {target} HTTP/{version}", "Host: t", *fields]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def corpus(host: SampleHost, etag: str, modified: str) -> list[list[bytes]]:
    """Conversations, each a list of segments; those that stay open end with CLOSE."""
    new = host.serials[1]
    rel, inrel, deb = (t.format(new=new) for t in (RELEASE, INRELEASE, DEB))
    ua = "User-Agent: Debian APT-HTTP/1.3 (2.6.1)"
    singles = [
        head(rel), head(rel, method="HEAD"), head(inrel, ua), head(deb), head(deb, method="HEAD"),
        head(UNKNOWN), head(UNKNOWN, method="HEAD"), head(UNKNOWN, "Accept: text/html"),
        head(rel, f"If-None-Match: {etag}"), head(rel, 'If-None-Match: "nope"'),
        head(rel, f"If-None-Match: {etag}", method="HEAD"), head(rel, "If-None-Match: *"),
        head(rel, f"If-Modified-Since: {modified}"), head(rel, "If-Modified-Since: garbage"),
        head(rel, "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT"),
        head(rel, f"If-None-Match: {etag}", f"If-Modified-Since: {modified}"),
        head(rel, 'If-None-Match: "nope"', f"If-Modified-Since: {modified}"),
        head(rel, f"If-Match: {etag}"), head(rel, "Range: bytes=0-9"),
        head(rel, "Range: bytes=5-", f"If-Range: {etag}"), head(rel, "range: bytes=-3"),
        head(rel, ua, "Referer: http://example.org/x", "Accept: */*", "Accept-Encoding: gzip"),
        head(rel, "User-Agent: " + "x" * 4000), head(rel, "X-Odd: yes"),
        head(rel, "Accept:  text/plain \t"), head(rel, "Accept: a", "Accept: b"),
        head(rel, "accept-language: en", "pragma: no-cache", "cache-control: max-age=0"),
        head("http://t" + rel), head(rel + "?x=1"), head(rel.replace("/dists", "//dists")),
        head("/" + rel), head(deb.replace("%7e", "%7E")), head(rel.replace("Release", "%52elease")),
        head(rel.replace("/dists/", "/dists%2F")), head(rel + "/"), head("/debian/../etc/passwd"),
        head(rel, method="POST"), head(rel, "Content-Length: 0"), head(rel, "Expect: 100-continue"),
        head(rel, "Connection: keep-alive, Upgrade", "Upgrade: h2c"), head(rel, "Host:"),
    ]  # fmt: skip
    conversations = [[single, CLOSE] for single in singles]
    conversations += [
        [head(rel, version="1.0")],
        [head(UNKNOWN, version="1.0")],
        [head(rel, "Connection: keep-alive", version="1.0"), CLOSE],
        [head(rel, "Connection: close")],
        [head(rel, "Connection: close") + head(rel)],  # nothing after a close is answered
        [head(rel) + head(inrel, method="HEAD") + head(UNKNOWN) + CLOSE],
        [head(rel) + head(rel, "Range: bytes=0-3") + head(deb) + CLOSE],
        [head(rel, method="POST") + head(rel) + CLOSE],
        [head(rel) + head(rel, "X-Odd: 1") + head(rel) + head(UNKNOWN), CLOSE],
        [head(rel)[:9], head(rel)[9:30], head(rel)[30:], CLOSE],
        [head(rel).replace(b"\r\n", b"\n"), CLOSE],  # bare LF ends: aiohttp's to answer
        [head(rel) + head(rel)[:20], b"\n" + CLOSE],
        [head(rel) + b"BAD LINE\r\n\r\n"],
        [head(rel) + b"GET /x", b"yz HTTP/1.1\r\nHost: t\r\n\r\n" + CLOSE],
        [head(rel) + head(inrel)[:20], head(inrel)[20:] + head(rel)[:-2], b"\r\n", CLOSE],
        [head(rel), head(rel, "Range: bytes=1-2"), head(rel), CLOSE],
        [b"GET / HTTP/1.1\r\nHost: t\r\n\r\n", head(rel) + head(rel)[:5], head(rel)[5:], CLOSE],
    ]
    return conversations


@pytest.fixture(scope="module")
def servers(sample_host: SampleHost) -> Iterator[tuple[Running, Running]]:
    fast = with_listen(sample_host.config, "127.0.0.1:0", sample_host.dir / "hot-fast.toml")
    full = with_listen(sample_host.config, "127.0.0.1:0", sample_host.dir / "hot-full.toml")
    with running_server(fast) as one, running_server(full, prefix=_without_hot()) as other:
        yield one, other


def _without_hot() -> tuple[str, ...]:
    return ("env", "SNAPFRONT_FAST_PATH=0")


def test_hot_path_answers_as_the_full_path(
    servers: tuple[Running, Running], sample_host: SampleHost
) -> None:
    fast, full = servers
    path = RELEASE.format(new=sample_host.serials[1])
    release, again = (fetch(s.url.rstrip("/") + path) for s in (full, fast))
    assert release.status == again.status == 200
    etag, modified = release.header("ETag"), release.header("Last-Modified")
    assert etag and modified
    conversations = corpus(sample_host, etag, modified)
    with ThreadPoolExecutor(2) as both:  # the two servers at once: half the wall time
        for round_ in ("learning", "replaying", "replaying whole reads"):
            for segments in conversations:
                answers = both.map(lambda s, segments=segments: converse(s.url, segments),
                                   (fast, full))  # fmt: skip
                ours, theirs = (without_date(answer) for answer in answers)
                assert ours == theirs, (round_, segments)
                assert theirs.startswith(b"HTTP/1.")
    time.sleep(0.5)  # the access log is written in batches
    assert access_lines(fast.log) == access_lines(full.log)
    assert len(access_lines(fast.log)) > 2 * len(conversations)
    metrics = [counters(fetch(s.url + "-/metrics").body) for s in (fast, full)]
    assert metrics[0] == metrics[1]
    assert any('status="304"' in line for line in metrics[0])
    before = _fast_answers(fetch(fast.url + "-/metrics").body)
    converse(fast.url, [head(path) * 10 + CLOSE])
    assert _fast_answers(fetch(fast.url + "-/metrics").body) == before + 10
    assert _fast_answers(fetch(full.url + "-/metrics").body) == 0


def _fast_answers(exposition: bytes) -> float:
    for line in exposition.decode().splitlines():
        if line.startswith("snapfront_http_fast_path_answers_total"):
            return float(line.split()[-1])
    return 0.0
