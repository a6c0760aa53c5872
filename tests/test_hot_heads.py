"""Which request heads the hot path may answer (server.hot_heads): pure, no server."""

from __future__ import annotations

import pytest

from snapfront.server.hot_heads import INCOMPLETE, OTHER, Head, clean_end, scan

pytestmark = pytest.mark.pure

GET = b"GET /debian/1/dists/x/Release HTTP/1.1\r\nHost: t\r\n\r\n"


def test_a_plain_head_is_simple_and_its_key_holds_what_answers_depend_on() -> None:
    head = scan(GET.replace(b"Host: t", b'Host: t\r\nIf-None-Match:  "a" \r\nUser-Agent: apt'), 0)
    assert isinstance(head, Head)
    assert head.key == ("GET", "/debian/1/dists/x/Release", 1, True, '"a"', None, None, None)
    assert head.agent == "apt" and head.referer == "-"


@pytest.mark.parametrize(
    "data",
    [
        GET.replace(b"GET", b"POST"),
        GET.replace(b"Host: t", b"Range: bytes=0-1"),
        GET.replace(b"Host: t", b"Host: t\r\nHost: u"),  # repeated
        GET.replace(b"Host: t", b"Host: t\r\n x"),  # folded
        GET.replace(b"\r\n", b"\n"),  # bare LF
        GET.replace(b"/debian", b"http://t/debian"),  # absolute form
        GET.replace(b"HTTP/1.1", b"HTTP/2.0"),
        GET.replace(b"Host: t", b"Connection: keep-alive, Upgrade"),
        GET.replace(b"Host: t", b"Content-Length: 0"),
        GET.replace(b"Host: t", b"User-Agent: caf\xc3\xa9"),
        GET.replace(b"Host: t", b"User-Agent: a\tb"),
        b"DELETE /x",
    ],
)
def test_anything_unusual_goes_to_aiohttp(data: bytes) -> None:
    assert scan(data, 0) == OTHER


def test_keep_alive_follows_the_version_and_connection() -> None:
    assert scan(GET, 0).key[3] is True  # type: ignore[union-attr]
    assert scan(GET.replace(b"1.1", b"1.0"), 0).key[3] is False  # type: ignore[union-attr]
    ten = GET.replace(b"1.1", b"1.0").replace(b"Host: t", b"Connection: Keep-Alive")
    assert scan(ten, 0).key[3] is True  # type: ignore[union-attr]


def test_a_head_in_pieces_is_waited_for_then_pipelined_heads_follow() -> None:
    assert scan(GET[:12], 0) == INCOMPLETE
    assert scan(b"HEA", 0) == INCOMPLETE
    assert scan(b"x" * 9000, 0) == OTHER
    first = scan(GET + GET, 0)
    assert isinstance(first, Head) and first.end == len(GET)
    second = scan(GET + GET, first.end)
    assert isinstance(second, Head) and second.end == 2 * len(GET)


def test_clean_end_only_for_whole_bodiless_heads() -> None:
    assert clean_end(GET + GET.replace(b"Host: t", b"Range: bytes=1-2"))
    assert not clean_end(GET[:-2])
    assert not clean_end(GET.replace(b"GET", b"POST"))
    assert not clean_end(GET.replace(b"Host: t", b"Content-Length: 3"))
