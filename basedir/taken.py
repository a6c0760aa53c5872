"""When a snapshot was taken, as far as its files can tell: its Release Date, bounded by the day
its serial names. Health (serial age) and timestamp URLs (the floor) both ask this."""

from __future__ import annotations

import calendar


def taken_at(serial: str, release_date: int | None, signed: int | None) -> int | None:
    """When a snapshot was taken: its Release `Date:` (else its signature's mtime), but never
    after the end of the UTC day its serial (YYYYMMDDNN) names. Re-signing to extend
    Valid-Until sets Date to now (`snapshot bump`), which must not make an old serial look new."""
    when = release_date if release_date is not None else signed
    try:
        year, month, day = int(serial[:4]), int(serial[4:6]), int(serial[6:8])
    except ValueError:
        return when
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return when
    day_end = calendar.timegm((year, month, day, 0, 0, 0)) + 86400
    return day_end if when is None else min(when, day_end)
