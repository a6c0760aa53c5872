"""[replication] source, interval, quarantine (README: Health, failover and metrics).

A passive host pulls each mount from the rsync module of the same name on `source`; the
quarantine keeps what it would otherwise delete that the active never had. Errors go through
the caller's `fail(key, problem)`, so they read like every other config error."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from snapfront.base import units
from snapfront.base.atomic import STATE_DIR
from snapfront.base.config_values import UNSAFE, within

Fail = Callable[[str, str], Exception]
KEYS = {"source", "interval", "quarantine"}
DEFAULT_INTERVAL = 600.0
"""Ten minutes: what the Wikimedia pair's systemd timer runs its rsync at."""
LAG_INTERVALS = 3
"""[health] max_replication_lag defaults to this many intervals: one slow or failed run is
no reason to take the passive out of rotation, three in a row are."""


@dataclass(frozen=True)
class Replication:
    source: str  # rsync://HOST[:PORT]/ (always ending in "/")
    interval: float = DEFAULT_INTERVAL
    quarantine: str = ""  # absolute; default OUTPUT/.snapfront/quarantine


def replication(
    value: Any,
    fail: Fail,
    table: Callable[[Any, str, set[str]], dict],
    abspath: Callable[[Any, str], str],
    output: str,
) -> Replication | None:
    """The table, or None when absent (this host never replicates)."""
    if value is None:
        return None
    found = table(value, "replication", KEYS)
    if "source" not in found:
        raise fail("replication.source", 'required, like "rsync://active.example.org/"')
    source = _source(found["source"], fail)
    interval = DEFAULT_INTERVAL
    if "interval" in found:
        try:
            interval = units.duration(found["interval"])
        except ValueError as exc:
            raise fail("replication.interval", str(exc)) from None
        if interval <= 0:
            raise fail("replication.interval", f"must be > 0, got {found['interval']!r}")
    default = os.path.join(output, STATE_DIR, "quarantine")
    quarantine = abspath(found.get("quarantine", default), "replication.quarantine")
    return Replication(source, interval, quarantine)


def _source(value: Any, fail: Fail) -> str:
    problem = f'must be "rsync://HOST[:PORT]/", got {value!r}'
    if not isinstance(value, str) or UNSAFE.search(value):
        raise fail("replication.source", problem)
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a port that is not a number in range
    except ValueError:
        raise fail("replication.source", problem) from None
    if parts.scheme != "rsync" or not parts.hostname or parts.query or parts.fragment:
        raise fail("replication.source", problem)
    if parts.path not in ("", "/"):
        raise fail("replication.source", f"{problem} (modules are named per mount)")
    return f"rsync://{parts.netloc}/"


def check_quarantine(quarantine: str, roots: list[str], output: str, fail: Fail) -> None:
    """Outside every root (it would be served, and replicated back) and not in the served
    part of the output (under OUTPUT/.snapfront/ it is never served)."""
    real = os.path.realpath(quarantine)
    for index, root in enumerate(roots):
        if within(real, root) or within(root, real):
            raise fail("replication.quarantine", f"overlaps mount[{index}].root ({root})")
    hidden = os.path.join(os.path.realpath(output), STATE_DIR)
    if within(real, os.path.realpath(output)) and not within(real, hidden):
        raise fail("replication.quarantine", f"inside the served output; use a path under {hidden}")
