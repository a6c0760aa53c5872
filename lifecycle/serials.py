"""Which serial `snapshot take` creates next: a pure decision over the serials on disk.

Serials are `YYYYMMDDNN`: the UTC date and a two-digit counter shared by every codename of
the basedir (Tails: one serial across every codename of an archive). The next one is today's
lowest counter above every counter already used today, so a new snapshot always sorts after
the ones before it (the trace names the newest) and a serial that `gc` removed is never
handed out again: its index files may still sit in a cache as `immutable`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from snapfront.base.errors import Refused

SERIAL = re.compile(r"(?P<date>\d{8})(?P<counter>\d{2})\Z")
MAX_COUNTER = 99


def check_serial(serial: str) -> str:
    """`serial` when it is a well-formed `YYYYMMDDNN` with a real date and NN ≥ 01."""
    match = SERIAL.match(serial)
    if match is None:
        raise Refused(f"serial {serial!r} is not YYYYMMDDNN")
    try:
        dt.datetime.strptime(match["date"], "%Y%m%d")
    except ValueError:
        raise Refused(f"serial {serial}: {match['date']} is not a date") from None
    if int(match["counter"]) == 0:
        raise Refused(f"serial {serial}: the counter starts at 01")
    return serial


def next_serial(today: dt.date, existing: Iterable[str]) -> str:
    """Today's next serial after every one in `existing` (serials of any codename)."""
    prefix = today.strftime("%Y%m%d")
    used = sorted(s for s in existing if SERIAL.match(s))
    later = [s for s in used if s[:8] > prefix]
    if later:
        raise Refused(
            f"serial {later[-1]} is dated after today ({prefix}, UTC): is the clock wrong? "
            "choose one with --serial"
        )
    today_counters = [int(s[8:]) for s in used if s[:8] == prefix]
    counter = max(today_counters, default=0) + 1
    if counter > MAX_COUNTER:
        raise Refused(f"all {MAX_COUNTER} serials of {prefix} are used")
    return f"{prefix}{counter:02d}"


def refuse_existing(serial: str, existing: dict[str, Iterable[str]]) -> None:
    """Refused when `serial` exists for any codename: gensnapshot would silently rewrite it."""
    holders = sorted(name for name, serials in existing.items() if serial in set(serials))
    if holders:
        raise Refused(f"serial {serial} already exists for {', '.join(holders)}")
