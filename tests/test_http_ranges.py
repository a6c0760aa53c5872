"""Byte ranges against a live `snapfront serve`, as download managers and APT resume: single
and multipart ranges, 416, malformed ranges ignored, If-Range with a tag or a date."""

from __future__ import annotations

import re

import pytest

from tests.http_support import (
    Item,
    assert_no_store,
    etag_of,
    http_date,
    parse_multipart,
    raw,
)

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def tarball(sample_items: dict[str, Item]) -> Item:
    item = sample_items["tarball"]
    assert item.size > 300, "the range tests need a tarball of a few hundred bytes at least"
    return item


# ---------------------------------------------------------------- byte ranges


SINGLE_RANGES = {  # Range header -> (first, last) byte for a file of `size` bytes
    "bytes=0-99": lambda size: (0, 99),
    "bytes=-100": lambda size: (size - 100, size - 1),  # suffix
    "bytes=100-": lambda size: (100, size - 1),  # open-ended
    "bytes=100-999999999": lambda size: (100, size - 1),  # end past EOF is clamped
}


@pytest.mark.parametrize("spec", list(SINGLE_RANGES))
def test_single_range(base_url: str, tarball: Item, spec: str) -> None:
    size = tarball.size
    start, end = SINGLE_RANGES[spec](size)
    reply = raw(base_url, tarball.path, headers={"Range": spec})
    assert reply.status == 206
    assert reply.header("Content-Range") == f"bytes {start}-{end}/{size}"
    assert reply.body == tarball.data[start : end + 1]
    assert int(reply.header("Content-Length")) == end - start + 1
    assert reply.header("Content-Type") == "application/gzip"
    assert reply.header("ETag") == etag_of(tarball.file)


def test_multiple_ranges_are_multipart_byteranges(base_url: str, tarball: Item) -> None:
    size, data = tarball.size, tarball.data
    reply = raw(base_url, tarball.path, headers={"Range": "bytes=0-9,100-109,200-"})
    assert reply.status == 206
    content_type = reply.header("Content-Type")
    match = re.fullmatch(r'multipart/byteranges;\s*boundary="?([^";]+)"?', content_type)
    assert match, content_type
    assert int(reply.header("Content-Length")) == len(reply.body)
    assert reply.header("Content-Range") is None  # only inside the parts
    parts = parse_multipart(reply.body, match[1])
    expected = [(0, 9), (100, 109), (200, size - 1)]
    assert [h["content-range"] for h, _ in parts] == [f"bytes {a}-{b}/{size}" for a, b in expected]
    assert [body for _, body in parts] == [data[a : b + 1] for a, b in expected]
    assert all(h["content-type"] == "application/gzip" for h, _ in parts)


def test_overlapping_ranges_give_the_right_bytes(base_url: str, tarball: Item) -> None:
    size, data = tarball.size, tarball.data
    reply = raw(base_url, tarball.path, headers={"Range": "bytes=0-50,10-60"})
    assert reply.status == 206
    content_type = reply.header("Content-Type")
    if content_type.startswith("multipart/byteranges"):
        boundary = content_type.split("boundary=", 1)[1].strip('"')
        parts = parse_multipart(reply.body, boundary)
        got = bytearray(61)
        for headers, body in parts:
            start = int(re.match(r"bytes (\d+)-", headers["content-range"])[1])
            got[start : start + len(body)] = body
        assert bytes(got) == data[:61]
    else:  # coalesced into one range
        assert reply.header("Content-Range") == f"bytes 0-60/{size}"
        assert reply.body == data[:61]


@pytest.mark.parametrize("spec", ["bytes=SIZE-", "bytes=-0"])
def test_unsatisfiable_range_is_416(base_url: str, tarball: Item, spec: str) -> None:
    size = tarball.size
    reply = raw(base_url, tarball.path, headers={"Range": spec.replace("SIZE", str(size))})
    assert reply.status == 416
    assert reply.header("Content-Range") == f"bytes */{size}"
    assert_no_store(reply)
    assert tarball.data not in reply.body


@pytest.mark.parametrize("spec", ["bytes=abc", "bytes=5-3", "items=0-1"])
def test_malformed_range_gives_the_whole_file(base_url: str, tarball: Item, spec: str) -> None:
    reply = raw(base_url, tarball.path, headers={"Range": spec})
    assert reply.status == 200
    assert reply.header("Content-Range") is None
    assert reply.body == tarball.data


# ---------------------------------------------------------------- If-Range


@pytest.mark.parametrize(
    ("validator", "status"),
    [("etag", 206), ("stale-etag", 200), ("date", 206), ("old-date", 200), ("weak-etag", 200)],
)
def test_if_range(base_url: str, tarball: Item, validator: str, status: int) -> None:
    etag, mtime = etag_of(tarball.file), tarball.file.stat().st_mtime
    value = {
        "etag": etag,
        "stale-etag": '"0-0"',
        "date": http_date(mtime),
        "old-date": http_date(mtime - 86400),
        "weak-etag": "W/" + etag,  # a weak tag never matches in If-Range
    }[validator]
    reply = raw(base_url, tarball.path, headers={"Range": "bytes=0-99", "If-Range": value})
    assert reply.status == status
    if status == 206:
        assert reply.header("Content-Range") == f"bytes 0-99/{tarball.size}"
        assert reply.body == tarball.data[:100]
    else:
        assert reply.header("Content-Range") is None
        assert reply.body == tarball.data


@pytest.mark.parametrize("name", ["deb", "tarball"])
def test_apt_resume_with_last_modified(
    base_url: str, sample_items: dict[str, Item], name: str
) -> None:
    """APT resumes a partial download with Range: bytes=N- and If-Range: <Last-Modified>."""
    item = sample_items[name]
    first = raw(base_url, item.path)
    offset = item.size // 2
    headers = {"Range": f"bytes={offset}-", "If-Range": first.header("Last-Modified")}
    reply = raw(base_url, item.path, headers=headers)
    assert reply.status == 206
    assert reply.header("Content-Range") == f"bytes {offset}-{item.size - 1}/{item.size}"
    assert first.body[:offset] + reply.body == item.data
