"""diffs.compare and diffs.indexes.parse without subprocesses: Debian version ordering."""

from __future__ import annotations

import gzip
import lzma

import pytest

from snapfront.diffs.compare import Change, Counts, Delta, compare, highest, newer
from snapfront.diffs.indexes import parse

pytestmark = pytest.mark.pure


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("1.0", "1.0~rc1"),  # ~ sorts before the end of the string
        ("1.0~rc1", "1.0~~"),  # and before everything, even another ~ run
        ("1:0.9", "2.0"),  # the epoch wins
        ("1.0-1+deb12u1", "1.0-1"),
        ("1.0-10", "1.0-9"),  # numerically, not as strings
        ("1.0a", "1.0"),
        ("2.0-1", "2.0~beta1-3"),
    ],
)
def test_debian_order(a: str, b: str) -> None:
    assert newer(a, b) and not newer(b, a)


def test_compare_classifies_with_both_versions() -> None:
    old = {"gone": "1.0-1", "up": "1.0~rc1-1", "down": "1:1.0-1", "same": "2.0", "eq": "1.0"}
    new = {"new": "0.1", "up": "1.0-1", "down": "2.0-1", "same": "2.0", "eq": "0:1.0-0"}
    delta = compare(old, new)
    assert delta == Delta(
        added=(Change("new", None, "0.1"),),
        removed=(Change("gone", "1.0-1", None),),
        upgraded=(Change("up", "1.0~rc1-1", "1.0-1"),),
        downgraded=(Change("down", "1:1.0-1", "2.0-1"),),  # 2.0-1 < 1:1.0-1: epoch
    )
    assert delta.counts == Counts(1, 1, 1, 1)
    assert delta.counts.text == "+1 \u22121 \u21911 \u21931"
    assert not compare(new, new)


def test_compare_sorts_by_name() -> None:
    delta = compare({}, {"b": "1", "a": "1", "c": "1"})
    assert [c.package for c in delta.added] == ["a", "b", "c"]


def test_highest() -> None:
    assert highest(["1.0", "1:0.1", "2.0~rc1"]) == "1:0.1"


PACKAGES = """Package: hello
Version: 1.0-1
Architecture: amd64
Description: x
 continuation: Version: 9.9 is not a field

package: lower
version: 2:3.0
Depends: libc6

Package: twice
Version: 1.0

Package: twice
Version: 1.1~rc1

Package: noversion
"""


@pytest.mark.parametrize("ext", ["", ".gz", ".xz"])
def test_parse_index(ext: str) -> None:
    data = PACKAGES.encode()
    data = {"": data, ".gz": gzip.compress(data), ".xz": lzma.compress(data)}[ext]
    assert parse(data, ext) == {"hello": "1.0-1", "lower": "2:3.0", "twice": "1.1~rc1"}
