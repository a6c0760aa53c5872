"""`DIR/ORIGIN/serial`: Tails' `config/APT_snapshots.d` layout, one directory per origin (an
archive on the snapshot host: `debian`, `debian-security`, `torproject`), each holding a file
`serial` of one line, a snapshot serial `YYYYMMDDNN` or `latest`, ending in a newline."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from snapfront.base.atomic import atomic_write
from snapfront.base.errors import Refused

LATEST = "latest"
SERIAL_FILE = "serial"
_SERIAL = re.compile(r"[0-9]{10}")


def is_serial(value: str) -> bool:
    """A snapshot serial's form, YYYYMMDDNN (whether it exists is the server's business)."""
    return _SERIAL.fullmatch(value) is not None


def serial_path(directory: str, origin: str) -> str:
    return os.path.join(directory, origin, SERIAL_FILE)


def parse(text: str, where: str) -> str:
    """The value of a serial file: a serial or `latest`, surrounding blanks ignored."""
    value = text.strip()
    if value == LATEST or is_serial(value):
        return value
    shown = value if len(value) <= 40 and "\n" not in value else repr(value[:40]) + "…"
    raise Refused(f"{where}: not a serial (YYYYMMDDNN) or {LATEST}: {shown or '(empty)'}")


def format_value(value: str) -> bytes:
    """The bytes of a serial file, as Tails' own files hold them."""
    if value != LATEST and not is_serial(value):
        raise ValueError(f"not a serial or {LATEST}: {value!r}")
    return f"{value}\n".encode()


def scan(directory: str) -> dict[str, str | None]:
    """Each origin directory of DIRECTORY (hidden names skipped) and its serial file's text,
    None when it has none yet. A missing, unreadable or empty DIRECTORY is refused."""
    if not os.path.exists(directory):
        raise Refused(f"{directory}: no such directory")
    if not os.path.isdir(directory):
        raise Refused(f"{directory}: not a directory")
    try:
        names = sorted(
            entry.name
            for entry in os.scandir(directory)
            if not entry.name.startswith(".") and entry.is_dir()
        )
    except OSError as exc:
        raise Refused(f"{directory}: {exc.strerror}") from exc
    if not names:
        example = os.path.join(directory, "debian", SERIAL_FILE)
        raise Refused(
            f"{directory}: no origin directories (expected ORIGIN/serial, e.g. {example})"
        )
    found: dict[str, str | None] = {}
    for origin in names:
        path = serial_path(directory, origin)
        try:
            with open(path, encoding="utf-8") as fh:
                found[origin] = fh.read(4096)
        except FileNotFoundError:
            found[origin] = None
        except (OSError, UnicodeDecodeError) as exc:
            raise Refused(f"{path}: cannot read: {exc}") from exc
    return found


def write(directory: str, values: Mapping[str, str]) -> list[str]:
    """Write each origin's serial file atomically; return the origins whose bytes changed.
    Unchanged files are left alone (their mtime too)."""
    changed = []
    for origin, value in sorted(values.items()):
        path = serial_path(directory, origin)
        data = format_value(value)
        try:
            with open(path, "rb") as fh:
                if fh.read() == data:
                    continue
        except OSError:
            pass  # missing (or unreadable): written below
        atomic_write(path, data)
        changed.append(origin)
    return changed
