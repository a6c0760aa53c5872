"""`snapfront snapshot list`: every serial with its codenames, Date, earliest Valid-Until,
days left (or "expired"), whether it counts as taken (rewrite_rules.complete) and which one
the trace names — the same "newest complete, signed" serial generator/trace.py writes, found
by the same functions. Only snapshots that count (basedir.inventory: signed, not being taken)
are rows; an interrupted operation (basedir.intent) is named until it is resolved."""

from __future__ import annotations

import json
import time
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass

from snapfront.basedir.days import days_left
from snapfront.basedir.intent import Intent, interrupted
from snapfront.basedir.inventory import read_archive
from snapfront.basedir.release import complete_serials, newest_complete_serial
from snapfront.rewrite_rules import Mount

from .expiry import SnapshotFacts
from .outcome import Outcome
from .repo import Repo


@dataclass(frozen=True)
class SerialInfo:
    serial: str
    codenames: tuple[str, ...]
    date: int | None  # the earliest Date of its codenames (a bump moves Date forward)
    valid_until: int | None  # the earliest Valid-Until; None when no Release has one
    days_left: int | None  # by UTC date, as the archive page counts (basedir.days)
    expired: bool
    readable: bool  # every codename's Release could be read
    complete: bool  # every codename has it, signed (rewrite_rules.complete; gpgv aside)
    trace: bool  # the serial the trace names


def summarize(
    facts: Sequence[SnapshotFacts], traced: str | None, complete: Collection[str], now: float
) -> list[SerialInfo]:
    """One row per serial, oldest first; `complete`: the serials that count as taken. Pure."""
    by_serial: dict[str, list[SnapshotFacts]] = {}
    for fact in facts:
        by_serial.setdefault(fact.serial, []).append(fact)
    rows = []
    for serial in sorted(by_serial):
        group = by_serial[serial]
        dates = [f.date for f in group if f.date is not None]
        valid = [f.valid_until for f in group if f.valid_until is not None]
        until = min(valid) if valid else None
        rows.append(
            SerialInfo(
                serial=serial,
                codenames=tuple(sorted(f.codename for f in group)),
                date=min(dates) if dates else None,
                valid_until=until,
                days_left=days_left(until, now),
                expired=until is not None and now > until,
                readable=all(f.readable for f in group),
                complete=serial in complete,
                trace=serial == traced,
            )
        )
    return rows


def list_snapshots(mount: Mount, as_json: bool, now: float | None = None) -> Outcome:
    repo = Repo(mount.root)
    now = time.time() if now is None else now
    archive = read_archive(mount.root)
    found = newest_complete_serial(mount.root, archive, mount.keyring)
    traced = found[0] if found else None
    complete = set(complete_serials(mount.root, archive, None))  # signed: gpgv only for the trace
    listed = [f for f in repo.facts() if f.serial in archive.serials.get(f.codename, ())]
    rows = summarize(listed, traced, complete, now)
    pending = interrupted(mount.root)
    if as_json:
        data = {"mount": mount.url, "trace": traced, "serials": [_json(row) for row in rows]}
        data["interrupted"] = None if pending is None else _intent(pending)
        return Outcome((json.dumps(data, indent=2),))
    lines = [f"{'SERIAL':<10}  {'DATE':<20}  {'VALID-UNTIL':<20}  {'LEFT':<8}  CODENAMES"]
    for row in rows:
        left = _left(row)
        whole = row.readable and row.complete
        marks = ("  <- trace" if row.trace else "") + ("" if whole else "  (incomplete)")
        lines.append(
            f"{row.serial:<10}  {_when(row.date):<20}  {_when(row.valid_until):<20}  {left:<8}  "
            f"{' '.join(row.codenames)}{marks}"
        )
    if not rows:
        lines.append("(no snapshots)")
    if pending is not None:
        lines.append(f"interrupted: {pending.describe()}: {RESOLVES}")
    return Outcome(tuple(lines))


RESOLVES = "the next snapshot command on this mount (or the watcher) resolves it"


def _intent(intent: Intent) -> dict:
    return {
        "operation": intent.operation,
        "serials": list(intent.serials),
        "pid": intent.pid,
        "started": _iso(int(intent.started)),
        "description": intent.describe(),
    }


def _left(row: SerialInfo) -> str:
    if row.valid_until is None:
        return "-"
    return "expired" if row.expired else f"{row.days_left} d"


def _when(epoch: int | None) -> str:
    return "-" if epoch is None else time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(epoch))


def _iso(epoch: int | None) -> str | None:
    return None if epoch is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _json(row: SerialInfo) -> dict:
    data = asdict(row)
    data["codenames"] = list(row.codenames)
    data["date"], data["valid_until"] = _iso(row.date), _iso(row.valid_until)
    return data
