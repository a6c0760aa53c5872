"""Edit a Release file as text: only its `Date:` and `Valid-Until:` lines change.

A bump must keep every other byte (hash lists, field order, line breaks), so nothing here
parses and dumps the file: the two lines are found at the start of a line (a field, never a
continuation line, which starts with a space) and replaced, or Valid-Until is inserted right
after Date, where reprepro writes it. Pure functions, no I/O, the clock a parameter.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re

DAY = 86400
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _field(name: str) -> re.Pattern[bytes]:
    return re.compile(rb"^" + re.escape(name.encode()) + rb":[^\n]*\n", re.MULTILINE | re.I)


_DATE = _field("Date")
_VALID_UNTIL = _field("Valid-Until")


def release_date(epoch: int) -> str:
    """reprepro's format, `%a, %d %b %Y %H:%M:%S UTC`, whatever the process's locale."""
    t = dt.datetime.fromtimestamp(epoch, dt.UTC)
    return f"{_DAYS[t.weekday()]}, {t:%d} {_MONTHS[t.month - 1]} {t:%Y %H:%M:%S} UTC"


def parse_date(value: str) -> int:
    """A Release date as epoch seconds (naive means UTC); ValueError when unparsable."""
    when = email.utils.parsedate_to_datetime(value.strip())
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return int(when.timestamp())


def field_value(release: bytes, name: str) -> str | None:
    """The value of a one-line field of the first paragraph, or None when absent."""
    match = _field(name).search(_first_paragraph(release))
    if match is None:
        return None
    return match.group().decode("utf-8").split(":", 1)[1].strip()


def bumped(release: bytes, now: int, days: int) -> bytes:
    """`release` with Date set to `now` (never moved backwards: an older Date than the one a
    client has cached makes APT ignore the file) and Valid-Until to now + `days` days.

    ValueError when the file has no Date line or an unparsable one, or `days` is not positive.
    """
    if days < 1:
        raise ValueError(f"days must be a positive integer, not {days}")
    old = field_value(release, "Date")
    if old is None:
        raise ValueError("Release has no Date field")
    date = max(now, parse_date(old))
    head = _first_paragraph(release)
    tail = release[len(head) :]
    date_line = f"Date: {release_date(date)}\n".encode()
    until_line = f"Valid-Until: {release_date(now + days * DAY)}\n".encode()
    head = _DATE.sub(lambda _: date_line, head, count=1)
    if _VALID_UNTIL.search(head):
        head = _VALID_UNTIL.sub(lambda _: until_line, head, count=1)
    else:
        at = _DATE.search(head)
        assert at is not None
        head = head[: at.end()] + until_line + head[at.end() :]
    return head + tail


def _first_paragraph(release: bytes) -> bytes:
    """Up to and including the first blank line: a Release has one paragraph, but a field
    name inside a later one (there is none in practice) must never be edited."""
    end = release.find(b"\n\n")
    return release if end < 0 else release[: end + 2]
