"""Timestamp URLs: /P/20261121T120000Z/… and /P/20261121/… name "the archive as it was then".

The instant floors to the newest serial taken at or before it (snapshot.debian.org's and
Debusine's rule). A serial that counts as taken (rewrite_rules.complete: every codename's
snapshot complete and signed) was taken at the latest InRelease `Date` of its codenames, each
capped at the end of the day the serial names: a serial whose codenames were snapshotted one
after another is reached only from the moment the last one was (when the trace named it), so a
floor once answered never moves while the snapshots stay. A dists URL floors among the serials
its codename has, a pool URL among all. `YYYYMMDD` means that day at 00:00:00 UTC
(`YYYYMMDDT000000Z`), as snapshot.debian.org reads it. A time after `now` is refused (a
snapshot taken later would move the floor under a running `apt update`), as is a time before
the first snapshot; both answers name the range that exists. Pure: the Dates are
`Archive.dates`, the clock is a parameter.
"""

from __future__ import annotations

import calendar
import re
import time

from .complete import complete_serials
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
    """The newest serial (of `codename`, else of any codename) taken at or before `instant`.

    Newest by serial, not by Date: serials sort in the order they were taken. The dates given
    here are already capped at the end of the UTC day each serial names (basedir.taken, read
    by basedir.dates): `snapshot bump` sets a Release's Date to now, yet the bumped snapshot
    keeps flooring from its own day, never from the day it was bumped.
    """
    found = [s for s, taken in _taken(archive, codename) if taken <= instant]
    return max(found) if found else None


def out_of_range(archive: Archive, codename: str | None, segment: str, now: float | None) -> str:
    """Why `segment` names no snapshot (the caller found none, or refuses the future)."""
    instant = parse_instant(segment)
    whose = f" of {codename}" if codename else ""
    if instant is None:
        return f"{segment} is not a time: use YYYYMMDDTHHMMSSZ (UTC) or YYYYMMDD"
    dated = sorted(_taken(archive, codename), key=lambda item: (item[1], item[0]))
    if not dated:
        span = f"there are no complete, signed snapshots{whose} yet"
    else:
        (first, first_date), (last, last_date) = dated[0], dated[-1]
        span = f"snapshots{whose} span {stamp(first_date)} ({first}) to {stamp(last_date)} ({last})"
    if now is not None and instant is not None and instant > now:
        return f"{stamp(instant)} is in the future; {span}"
    return f"no snapshot{whose} at or before {stamp(instant)}; {span}"


def _taken(archive: Archive, codename: str | None) -> list[tuple[str, int]]:
    """(serial, when it was taken) for the taken serials that `codename` (any, if None) has."""
    own = archive.serials.get(codename, ()) if codename else None
    return [(s, when) for s, when in taken_at(archive).items() if own is None or s in own]


_memo: list[tuple[Archive, dict[str, int]]] = []
_MEMO_SIZE = 8


def taken_at(archive: Archive) -> dict[str, int]:
    """Serial → when it was taken, for the serials that count as taken. A snapshot is complete
    here when it has a Date (`Archive.dates` holds only complete, signed ones). Remembered for
    the last few archives (by identity: the server keeps one until it re-reads the disk)."""
    for known, found in _memo:
        if known is archive:
            return found
    dates, serials = archive.dates, archive.serials
    found = {}
    for serial in complete_serials(serials, lambda c, s: (c, s) in dates):
        found[serial] = max(dates[c, serial] for c, held in serials.items() if serial in held)
    _memo.insert(0, (archive, found))
    del _memo[_MEMO_SIZE:]
    return found
