"""Whole days left before a snapshot's Valid-Until: one rule for the archive page, its
index.json and `snapfront snapshot list`, so they never disagree about the same serial."""

from __future__ import annotations

DAY = 86400


def days_left(valid_until: int | None, now: float) -> int | None:
    """The difference of the UTC dates of `valid_until` and `now`: 0 on its last day, negative
    once that day is past, None without a Valid-Until. It moves only at 00:00 UTC, so a rebuild
    later in the day, a replica and the command line all show the same number."""
    if valid_until is None:
        return None
    return int(valid_until // DAY - now // DAY)
