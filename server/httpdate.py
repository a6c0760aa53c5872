"""HTTP dates (RFC 9110 §5.6.7) as whole seconds: validators compare at one-second precision."""

from __future__ import annotations

import functools
from datetime import UTC
from email.utils import formatdate, parsedate_to_datetime


@functools.lru_cache(maxsize=4096)
def format_http_date(seconds: int) -> str:
    """IMF-fixdate, the only form a server may send (§5.6.7)."""
    return formatdate(seconds, usegmt=True)


def parse_http_date(value: str | None) -> int | None:
    """Seconds since the epoch, or None when absent or invalid, so callers can ignore the field.

    Accepts IMF-fixdate, RFC 850 and asctime forms; a date without a zone (asctime) is UTC.
    """
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return int(moment.timestamp())
    except (OverflowError, ValueError):
        return None
