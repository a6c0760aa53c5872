"""project/trace/NAME in the Debian mirror trace format, field for field as ftpsync writes it.

Build tools read the `Archive serial:` line to pick a snapshot, so it only ever names the
newest complete, signed serial. Both dates are that snapshot's InRelease mtime rather than the
clock, so an unchanged tree gives byte-identical text and the writer can leave the file alone.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from snapfront.basedir.release import newest_complete_serial, read_distribution, snapshot_dir
from snapfront.rewrite_rules.model import Archive, MountKind

# English names whatever the process locale: ftpsync runs `date` with LC_ALL=POSIX
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def date_u(when: int) -> str:
    """`LC_ALL=POSIX date -u`: `Sat Dec  2 06:53:20 UTC 2023` (the day is space-padded)."""
    t = time.gmtime(when)
    clock = f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
    return f"{_DAYS[t.tm_wday]} {_MONTHS[t.tm_mon - 1]} {t.tm_mday:2d} {clock} UTC {t.tm_year}"


def date_r(when: int) -> str:
    """`date -u -R` (RFC 2822): `Sat, 02 Dec 2023 06:53:20 +0000`."""
    t = time.gmtime(when)
    clock = f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
    return f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year} {clock} +0000"


def trace_text(
    serial: str, when: int, host: str, architectures: Sequence[str], version: str
) -> str:
    """The trace file's bytes; architectures are de-duplicated and sorted, as ftpsync does."""
    values = [serial, host, version, *architectures]
    if any(c in value for value in values for c in "\r\n"):
        raise ValueError("trace fields must be single lines")  # no forged `Archive serial:`
    date = date_r(when)
    lines = [
        date_u(when),
        f"Date: {date}",
        f"Date-Started: {date}",
        f"Archive serial: {serial}",
        f"Creator: snapfront {version}",
        f"Running on host: {host}",
    ]
    if architectures:  # ftpsync leaves the line out when it finds none
        lines.append(f"Architectures: {' '.join(sorted(set(architectures)))}")
    lines.append("Architectures-Configuration: ALL")  # every architecture is served
    return "\n".join(lines) + "\n"


def snapshots_trace(
    root: str, archive: Archive, keyring: str | None, host: str, version: str
) -> str | None:
    """The trace of a snapshots basedir; None while it has no complete, signed serial."""
    found = newest_complete_serial(root, archive, keyring)
    if found is None:
        return None
    serial, when = found
    architectures: set[str] = set()
    for codename, serials in sorted(archive.serials.items()):
        if serial not in serials:
            continue
        distribution = read_distribution(
            snapshot_dir(root, codename, serial), root, MountKind.SNAPSHOTS
        )
        if distribution is None:
            continue  # already logged
        architectures.update(distribution.architectures)
        if distribution.has_sources:
            architectures.add("source")
    return trace_text(serial, when, host, sorted(architectures), version)
