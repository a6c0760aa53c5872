"""What freeze, thaw and resolve do with the serial files, decided without I/O.

`current` maps each origin to its serial file's text (None: no file yet), as files.scan
reads it; `newest` maps origins to the serial their trace names, as the server answered."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping

from snapfront.base.errors import Refused

from .files import LATEST, SERIAL_FILE, parse


def check_except(current: Mapping[str, str | None], excepted: Collection[str]) -> None:
    """An --except origin without a directory is a typo: refuse it rather than ignore it."""
    unknown = sorted(set(excepted) - set(current))
    if unknown:
        raise Refused(
            f"--except: no origin directory {', '.join(unknown)} "
            f"(origins: {', '.join(sorted(current))})"
        )


def freeze_origins(current: Mapping[str, str | None], excepted: Collection[str]) -> list[str]:
    """The origins whose trace freeze must read: all but the exceptions."""
    return [origin for origin in sorted(current) if origin not in excepted]


def freeze(
    current: Mapping[str, str | None], newest: Mapping[str, str], excepted: Collection[str]
) -> dict[str, str]:
    """Every origin's newest serial; the exceptions `latest`, whatever they held."""
    return {o: LATEST if o in excepted else newest[o] for o in sorted(current)}


def thaw(current: Mapping[str, str | None]) -> dict[str, str]:
    return dict.fromkeys(sorted(current), LATEST)


def values(current: Mapping[str, str | None], directory: str) -> dict[str, str]:
    """The files' values for resolve; a missing or malformed file is refused."""
    parsed = {}
    for origin, text in sorted(current.items()):
        where = f"{directory.rstrip('/')}/{origin}/{SERIAL_FILE}"
        if text is None:
            raise Refused(f"{where}: no such file (freeze or thaw writes one)")
        parsed[origin] = parse(text, where)
    return parsed


def to_resolve(frozen: Mapping[str, str]) -> list[str]:
    """The origins whose `latest` resolve must look up (once each)."""
    return [origin for origin, value in sorted(frozen.items()) if value == LATEST]


def to_check(frozen: Mapping[str, str]) -> dict[str, str]:
    """The frozen serials resolve must find on the server."""
    return {origin: value for origin, value in sorted(frozen.items()) if value != LATEST}


def resolve(frozen: Mapping[str, str], newest: Mapping[str, str]) -> dict[str, str]:
    return {o: newest[o] if v == LATEST else v for o, v in sorted(frozen.items())}


def as_lines(resolved: Mapping[str, str]) -> str:
    """`ORIGIN: SERIAL` lines, sorted by origin."""
    return "".join(f"{origin}: {serial}\n" for origin, serial in sorted(resolved.items()))


def as_json(resolved: Mapping[str, str]) -> str:
    """`{"origin": "serial"}`, keys sorted, one line."""
    return json.dumps(dict(sorted(resolved.items()))) + "\n"
