"""lifecycle.release_text: a bump edits the Date and Valid-Until lines of Release, nothing else."""

from __future__ import annotations

import pytest

from snapfront.lifecycle.release_text import DAY, bumped, field_value, parse_date, release_date

pytestmark = pytest.mark.pure


RELEASE = (
    b"Origin: snapfront demo\n"
    b"Label: Debian snapshots\n"
    b"Suite: bookworm/snapshots/2026112201\n"
    b"Codename: bookworm\n"
    b"Date: Sun, 22 Nov 2026 03:11:45 UTC\n"
    b"Valid-Until: Mon, 22 Nov 2027 03:11:45 UTC\n"
    b"Architectures: amd64\n"
    b"Components: main\n"
    b"Description: caf\xc3\xa9 (sample)\n"
    b"MD5Sum:\n"
    b" 0123456789abcdef0123456789abcdef 612 main/binary-amd64/Packages\n"
    b" 0123456789abcdef0123456789abcdef 97 main/binary-amd64/Release\n"
    b"SHA256:\n"
    b" Date: not a field, a continuation line\n"
    b" 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef 612 main/Packages\n"
)
OLD_DATE = parse_date("Sun, 22 Nov 2026 03:11:45 UTC")
NOW = OLD_DATE + 10 * DAY + 3600


def lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def test_date_and_valid_until_change_and_every_other_byte_stays() -> None:
    new = bumped(RELEASE, NOW, 30)
    assert field_value(new, "Date") == "Wed, 02 Dec 2026 04:11:45 UTC"
    assert field_value(new, "Valid-Until") == "Fri, 01 Jan 2027 04:11:45 UTC"
    changed = [(a, b) for a, b in zip(lines(RELEASE), lines(new), strict=True) if a != b]
    assert [a.split(b":")[0] for a, _ in changed] == [b"Date", b"Valid-Until"]
    assert (
        new.replace(changed[0][1], changed[0][0]).replace(changed[1][1], changed[1][0]) == RELEASE
    )


def test_valid_until_is_inserted_after_date_when_absent() -> None:
    without = RELEASE.replace(b"Valid-Until: Mon, 22 Nov 2027 03:11:45 UTC\n", b"")
    new = bumped(without, NOW, 1)
    assert lines(new)[4:6] == [
        b"Date: Wed, 02 Dec 2026 04:11:45 UTC",
        b"Valid-Until: Thu, 03 Dec 2026 04:11:45 UTC",
    ]
    assert (
        new.replace(lines(new)[5] + b"\n", b"").replace(lines(new)[4], lines(without)[4]) == without
    )


def test_date_never_moves_backwards() -> None:
    """A clock behind the Release's Date (a lagging replica) keeps the Date it had: APT ignores
    a Release older than the one it cached. Valid-Until still counts from now."""
    early = OLD_DATE - 3600
    new = bumped(RELEASE, early, 2)
    assert field_value(new, "Date") == "Sun, 22 Nov 2026 03:11:45 UTC"
    assert parse_date(field_value(new, "Valid-Until") or "") == early + 2 * DAY


def test_bumping_twice_from_the_same_clock_gives_the_same_bytes() -> None:
    once = bumped(RELEASE, NOW, 30)
    assert bumped(once, NOW, 30) == once


@pytest.mark.parametrize("days", [0, -1])
def test_days_must_be_positive(days: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        bumped(RELEASE, NOW, days)


def test_no_date_field_is_an_error() -> None:
    with pytest.raises(ValueError, match="no Date"):
        bumped(RELEASE.replace(b"Date: Sun, 22 Nov 2026 03:11:45 UTC\n", b""), NOW, 1)


def test_reprepro_date_format_ignores_the_locale() -> None:
    assert release_date(0) == "Thu, 01 Jan 1970 00:00:00 UTC"
    assert release_date(OLD_DATE) == "Sun, 22 Nov 2026 03:11:45 UTC"
