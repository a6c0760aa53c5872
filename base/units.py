"""Durations ("12h", "7d") and sizes ("5GiB") as sysadmins write them in snapfront.toml.

Pure functions; ValueError says what was expected, and config.py turns it into the one-line
`FILE: KEY: problem` of the contract.
"""

from __future__ import annotations

import math
import re

_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*\Z")
_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B|B)?\s*\Z", re.IGNORECASE)
_BYTES = {"": 1, "b": 1}
for _power, _letter in enumerate("kmgt", start=1):
    _BYTES[f"{_letter}ib"] = 1024**_power
    _BYTES[f"{_letter}b"] = 1000**_power


def duration(value: object) -> float:
    """Seconds from a number of seconds or a string like "90s", "30m", "12h", "7d", "2w"."""
    if isinstance(value, bool):
        raise ValueError(f'must be a duration like "12h" or "7d", got {value!r}')
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(value) if isinstance(value, str) else None
        if match is None:
            raise ValueError(f'must be a duration like "12h" or "7d", got {value!r}')
        seconds = float(match[1]) * _SECONDS[match[2]]
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"must be >= 0 and finite, got {value!r}")
    return seconds


def size(value: object) -> int:
    """Bytes from an integer or a string like "500MB", "1GiB" (KiB/MiB/GiB/TiB powers of 1024,
    kB/MB/GB/TB powers of 1000, as df -h and df -H print them)."""
    if isinstance(value, bool):
        raise ValueError(f'must be a size like "5GiB" or a number of bytes, got {value!r}')
    if isinstance(value, int):
        number = value
    else:
        match = _SIZE.match(value) if isinstance(value, str) else None
        if match is None:
            raise ValueError(f'must be a size like "5GiB" or a number of bytes, got {value!r}')
        number = int(float(match[1]) * _BYTES[(match[2] or "").lower()])
    if number < 0:
        raise ValueError(f"must be >= 0, got {value!r}")
    return number


def show_duration(seconds: float) -> str:
    """A short human form for reasons and status: "3d 4h", "12h", "90s"."""
    seconds = int(seconds)
    negative, seconds = seconds < 0, abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{n}{u}" for n, u in ((days, "d"), (hours, "h"), (minutes, "m")) if n]
    text = " ".join(parts[:2]) if parts else f"{secs}s"
    return f"-{text}" if negative else text
