"""How resolve confirms a frozen serial on any host with Tails' URL layout, decided without I/O.

A files-only host (nginx over the reprepro tree, `/ORIGIN/SERIAL/dists/X` rewritten to
`dists/X/snapshots/SERIAL/`, no directory pages) answers only for files, so the question is
the serial's Release, `URL/ORIGIN/SERIAL/dists/CODENAME/Release`. Nothing such a host serves
names an origin's codenames (the trace has none), so the caller does: `--codename
ORIGIN=CODENAME`, else `--codename CODENAME`, else `stable`, the one Tails' own
`bin/apt-snapshots-expiry` asks of every origin it has no case for. snapfront's 404s say what
exists (a codename's serials, or the codenames), a plain 404 says neither.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

from snapfront.base.errors import Refused

from .files import is_serial

DEFAULT_CODENAME = "stable"
_CODENAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+~_-]*(?:/[A-Za-z0-9][A-Za-z0-9.+~_-]*)*")
_UNKNOWN_SERIAL = re.compile(r"snapshot \S+ does not exist[^;\n]*; snapshots that do:\n(.*)", re.S)
_UNKNOWN_CODENAME = re.compile(r"unknown codename[^;\n]*; codenames that exist:\n(.*)", re.S)


@dataclass(frozen=True)
class Codenames:
    """The `--codename` options of resolve: one for every origin, and per origin."""

    default: str | None = None
    per_origin: Mapping[str, str] = field(default_factory=dict)

    def of(self, origin: str) -> tuple[str, bool]:
        """The codename to ask ORIGIN's serials with, and whether the user named it."""
        if origin in self.per_origin:
            return self.per_origin[origin], True
        if self.default is not None:
            return self.default, True
        return DEFAULT_CODENAME, False


def parse_codenames(values: Iterable[str], origins: Collection[str]) -> Codenames:
    """`CODENAME` or `ORIGIN=CODENAME`, each at most once; an unknown ORIGIN is a typo."""
    default: str | None = None
    per_origin: dict[str, str] = {}
    for value in values:
        origin, named, codename = value.rpartition("=")
        if not _CODENAME.fullmatch(codename) or (named and not origin):
            raise Refused(f"--codename: not CODENAME or ORIGIN=CODENAME: {value}")
        if named and origin not in origins:
            known = ", ".join(sorted(origins))
            raise Refused(f"--codename: no origin directory {origin} (origins: {known})")
        if named:
            if origin in per_origin:
                raise Refused(f"--codename: two codenames for {origin}")
            per_origin[origin] = codename
        elif default is not None:
            raise Refused("--codename: two codenames for every origin (ORIGIN=CODENAME names one)")
        else:
            default = codename
    return Codenames(default, per_origin)


def origin_url(base: str, origin: str) -> str:
    return f"{base}/{quote(origin, safe='')}/"


def release_url(base: str, origin: str, serial: str, codename: str) -> str:
    """The serial's Release as Tails' rewrite serves it (a slash codename keeps its `/`)."""
    return f"{origin_url(base, origin)}{serial}/dists/{quote(codename, safe='/')}/Release"


class Kind(enum.Enum):
    FOUND = "found"
    MISSING = "a plain 404: the serial or the codename is wrong"
    NO_SERIAL = "snapfront's 404 listing the serials of that codename"
    NO_CODENAME = "snapfront's 404 listing the codenames"
    FAILED = "any other answer"


@dataclass(frozen=True)
class Judged:
    kind: Kind
    listed: tuple[str, ...] = ()


def listed_serials(body: str) -> list[str] | None:
    """The serials a 404 for an unknown serial lists; None when the body is not such a 404."""
    match = _UNKNOWN_SERIAL.search(body)
    if match is None:
        return None
    return [line.strip() for line in match.group(1).splitlines() if is_serial(line.strip())]


def listed_codenames(body: str) -> list[str] | None:
    """The codenames a 404 for an unknown codename lists; None when it is not such a 404."""
    match = _UNKNOWN_CODENAME.search(body)
    if match is None:
        return None
    lines = (line.strip() for line in match.group(1).splitlines())
    return [line for line in lines if _CODENAME.fullmatch(line)]


def judge(status: int, body: str) -> Judged:
    """What the answer to a Release request (redirects followed) says about the serial."""
    if 200 <= status < 300:
        return Judged(Kind.FOUND)
    if status != 404:
        return Judged(Kind.FAILED)
    serials = listed_serials(body)
    if serials is not None:
        return Judged(Kind.NO_SERIAL, tuple(serials))
    codenames = listed_codenames(body)
    if codenames is not None:
        return Judged(Kind.NO_CODENAME, tuple(codenames))
    return Judged(Kind.MISSING)


def no_serial(origin: str, serial: str, where: str, listed: Iterable[str]) -> str:
    listing = ", ".join(sorted(set(listed))) or "none"
    return f"{origin}: serial {serial} does not exist on {where}; serials that do: {listing}"


def not_found(origin: str, serial: str, url: str) -> str:
    return f"{origin}: serial {serial} not found ({url}: 404 Not Found)"


def no_codename(origin: str, codename: str, where: str, evidence: str) -> str:
    """EVIDENCE: the codenames the host lists, or the newest serial's Release it lacks too."""
    return (
        f"{origin}: no codename {codename} on {where} ({evidence}); "
        f"name {origin}'s with --codename {origin}=CODENAME"
    )
