"""Timestamp URLs: /P/20261121T120000Z/… and /P/20261121/… name "the archive as it was then".

The instant floors to the newest complete, signed snapshot whose InRelease `Date` (capped at
the end of the day its serial names) is at or before it (snapshot.debian.org's and Debusine's
rule): per codename for a dists URL (that codename's own snapshots), over every codename for a
pool URL. `YYYYMMDD` means that day at 00:00:00 UTC (`YYYYMMDDT000000Z`), as
snapshot.debian.org reads it. A time after `now` is refused (a snapshot taken later would move
the floor under a running `apt update`), as is a time before the first snapshot; both answers
name the range that exists. Pure: the Dates are `Archive.dates`, the clock is a parameter.
"""

from __future__ import annotations

import calendar
import re
import time
from collections.abc import Iterable

from .model import Archive

INSTANT = re.compile(r"(\d{8})(?:T(\d{6})Z)?\Z")
"""A timestamp segment. 8 digits (a day) never collides with a serial (10 digits)."""


def parse_instant(segment: str) -> int | None:
    """Epoch seconds of a timestamp segment; None when it is none, or no real time."""
    match = INSTANT.match(segment)
    if match is None:
        return None
    text = match.group(1) + (match.group(2) or "000000")
    try:
        parsed = time.strptime(text, "%Y%m%d%H%M%S")
    except ValueError:
        return None
    return calendar.timegm(parsed)


def stamp(epoch: int) -> str:
    """The canonical timestamp of an instant: YYYYMMDDTHHMMSSZ."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(epoch))


def floor(archive: Archive, codename: str | None, instant: int) -> str | None:
    """The newest serial (of `codename`, else of any codename) dated at or before `instant`.

    Newest by serial, not by Date: serials sort in the order they were taken. The dates given
    here are already capped at the end of the UTC day each serial names (basedir.taken, read
    by snapfront.dates): `snapshot bump` sets a Release's Date to now, yet the bumped snapshot
    keeps flooring from its own day, never from the day it was bumped.
    """
    found = [s for (c, s), date in _dated(archive, codename) if date <= instant]
    return max(found) if found else None


def out_of_range(archive: Archive, codename: str | None, segment: str, now: float | None) -> str:
    """Why `segment` names no snapshot (the caller found none, or refuses the future)."""
    instant = parse_instant(segment)
    whose = f" of {codename}" if codename else ""
    if instant is None:
        return f"{segment} is not a time: use YYYYMMDDTHHMMSSZ (UTC) or YYYYMMDD"
    dated = sorted(_dated(archive, codename), key=lambda item: (item[1], item[0][1]))
    if not dated:
        span = f"there are no complete, signed snapshots{whose} yet"
    else:
        (_, first), first_date = dated[0]
        (_, last), last_date = dated[-1]
        span = f"snapshots{whose} span {stamp(first_date)} ({first}) to {stamp(last_date)} ({last})"
    if now is not None and instant is not None and instant > now:
        return f"{stamp(instant)} is in the future; {span}"
    return f"no snapshot{whose} at or before {stamp(instant)}; {span}"


def _dated(archive: Archive, codename: str | None) -> Iterable[tuple[tuple[str, str], int]]:
    return (
        ((c, s), date)
        for (c, s), date in archive.dates.items()
        if (codename is None or c == codename) and s in archive.serials.get(c, ())
    )
