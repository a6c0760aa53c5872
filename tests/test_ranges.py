"""Range requests as download managers and APT resumes send them."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from snapfront.server.ranges import (
    UNSATISFIABLE,
    ByteRange,
    Unsatisfiable,
    content_range,
    multipart_layout,
    new_boundary,
    parse_range,
    unsatisfied_range,
)

pytestmark = pytest.mark.pure


SIZE = 1000
R = ByteRange


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-99", [R(0, 99)]),
        ("bytes=500-", [R(500, 999)]),  # APT resume
        ("bytes=-100", [R(900, 999)]),
        ("bytes=-5000", [R(0, 999)]),  # suffix longer than the file: all of it
        ("bytes=900-5000", [R(900, 999)]),  # last-pos clamped
        ("bytes=999-999", [R(999, 999)]),
        ("bytes=0-", [R(0, 999)]),  # the whole file is still a 206
        ("Bytes=0-0", [R(0, 0)]),  # units are case-insensitive
        ("bytes=0-9, 20-29", [R(0, 9), R(20, 29)]),
        ("bytes=20-29,\t0-9", [R(0, 9), R(20, 29)]),  # sorted
        ("bytes=0-9,5-19", [R(0, 19)]),  # overlapping: coalesced
        ("bytes=0-9,10-19", [R(0, 19)]),  # adjacent: coalesced
        ("bytes=0-99,10-19", [R(0, 99)]),  # contained
        ("bytes=0-1,,", [R(0, 1)]),  # empty list elements are legal
        ("bytes=0-9,2000-", [R(0, 9)]),  # unsatisfiable specs dropped
        ("bytes=-0,0-0", [R(0, 0)]),
        ("bytes=0000000000000000000000000007-8", [R(7, 8)]),
        (f"bytes=0-{'9' * 40}", [R(0, 999)]),
        # unsatisfiable: 416
        ("bytes=1000-", UNSATISFIABLE),
        ("bytes=1000-2000, 5000-", UNSATISFIABLE),
        ("bytes=-0", UNSATISFIABLE),
        (f"bytes={'9' * 40}-", UNSATISFIABLE),
        # ignored: 200 with the whole file
        (None, None),
        ("", None),
        ("bytes", None),
        ("bytes=", None),
        ("bytes=,", None),
        ("bytes=abc", None),
        ("bytes=5-3", None),  # last < first invalidates the whole header
        ("bytes=0-1,5-3", None),
        ("bytes=--1", None),
        ("bytes=-", None),
        ("bytes=1-2,garbage", None),
        ("bytes=1-2-3", None),
        ("bytes=+1-2", None),
        ("bytes=\u0661-2", None),  # Arabic-Indic digit: not ASCII
        ("items=0-1", None),
        ("bytes 0-1", None),
        (",".join(["bytes=0-0"] + ["2-2"] * 100), None),  # 101 specs: abuse
    ],
)
def test_parse_range(header: str | None, expected: object) -> None:
    assert parse_range(header, SIZE) == expected


def test_one_hundred_specs_are_still_honoured() -> None:
    header = "bytes=" + ",".join(f"{i * 10}-{i * 10}" for i in range(100))
    result = parse_range(header, SIZE)
    assert isinstance(result, list)
    assert len(result) == 100


@pytest.mark.parametrize("header", ["bytes=0-", "bytes=-1", "bytes=0-0"])
def test_empty_file_has_no_satisfiable_range(header: str) -> None:
    assert isinstance(parse_range(header, 0), Unsatisfiable)


def test_content_range_headers() -> None:
    assert content_range(R(0, 99), 1234) == "bytes 0-99/1234"
    assert unsatisfied_range(1234) == "bytes */1234"
    assert R(10, 19).length == 10
    with pytest.raises(ValueError):
        R(5, 3)


def test_multipart_layout_bytes() -> None:
    parts, total = multipart_layout([R(0, 1), R(5, 9)], 10, "application/gzip", "XYZ")
    assert [p.range for p in parts] == [R(0, 1), R(5, 9), None]
    assert parts[0].header == (
        b"--XYZ\r\nContent-Type: application/gzip\r\nContent-Range: bytes 0-1/10\r\n\r\n"
    )
    assert parts[1].header.startswith(b"\r\n--XYZ\r\n")
    assert b"Content-Range: bytes 5-9/10\r\n\r\n" in parts[1].header
    assert parts[2].header == b"\r\n--XYZ--\r\n"
    body = b"".join(p.header + (b"x" * p.range.length if p.range else b"") for p in parts)
    assert len(body) == total


@pytest.mark.parametrize(
    ("ranges", "boundary"),
    [([], "XYZ"), ([R(0, 10)], "XYZ"), ([R(0, 1)], ""), ([R(0, 1)], "a b"), ([R(0, 1)], "x" * 71)],
)
def test_multipart_layout_refuses_bad_input(ranges: list[ByteRange], boundary: str) -> None:
    with pytest.raises(ValueError):
        multipart_layout(ranges, 10, "text/plain", boundary)


def test_new_boundary_is_random_and_usable() -> None:
    first, second = new_boundary(), new_boundary()
    assert first != second
    multipart_layout([R(0, 0)], 1, "text/plain", first)


_positions = st.integers(0, 3000)
_good_specs = st.one_of(
    st.builds(lambda a, n: f"{a}-{a + n}", _positions, st.integers(0, 300)),
    st.builds(lambda a: f"{a}-", _positions),
    st.builds(lambda n: f"-{n}", _positions),
)
_any_specs = st.one_of(_good_specs, st.text(alphabet="0123456789-, \tx", max_size=8))
_headers = st.one_of(
    st.none(),
    st.text(max_size=60),
    st.builds(lambda specs: "bytes=" + ", ".join(specs), st.lists(_good_specs, max_size=8)),
    st.builds(lambda specs: "bytes=" + ",".join(specs), st.lists(_any_specs, max_size=8)),
)


@given(header=_headers, size=st.integers(0, 2000))
def test_parse_range_properties(header: str | None, size: int) -> None:
    result = parse_range(header, size)
    if not isinstance(result, list):
        assert result is None or isinstance(result, Unsatisfiable)
        return
    assert result
    for r in result:
        assert 0 <= r.start <= r.end < size
    for before, after in pairwise(result):
        assert before.end + 1 < after.start  # sorted, apart, not even adjacent
    parts, total = multipart_layout(result, size, "application/octet-stream", new_boundary())
    assert total == sum(len(p.header) for p in parts) + sum(r.length for r in result)


@given(
    size=st.integers(1, 300),
    pairs=st.lists(st.tuples(st.integers(0, 400), st.integers(0, 40)), min_size=1, max_size=12),
)
def test_ranges_cover_exactly_the_requested_bytes(size: int, pairs: list[tuple[int, int]]) -> None:
    header = "bytes=" + ",".join(f"{a}-{a + n}" for a, n in pairs)
    wanted = {b for a, n in pairs for b in range(a, min(a + n, size - 1) + 1)}
    result = parse_range(header, size)
    if not wanted:
        assert isinstance(result, Unsatisfiable)
        return
    assert isinstance(result, list)
    assert {b for r in result for b in range(r.start, r.end + 1)} == wanted
