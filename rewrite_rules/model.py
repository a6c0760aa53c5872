"""The nouns every other part of snapfront speaks: mounts, what a URL resolves to, cache classes.

All frozen values, so a resolved rule can be shared between requests, workers and the exporter.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field


class MountKind(enum.StrEnum):
    SNAPSHOTS = "snapshots"
    REPOSITORY = "repository"
    TAGGED = "tagged"
    FILES = "files"


class CacheClass(enum.StrEnum):
    """How long caches may keep a response; the Cache-Control strings live in `policy`."""

    IMMUTABLE = "immutable"
    SIGNED_METADATA = "signed-metadata"
    VOLATILE = "volatile"
    FILES = "files"
    ERROR = "error"


@dataclass(frozen=True)
class Mount:
    """A URL prefix over one directory. `root` is absolute and already resolved (realpath)."""

    url: str
    kind: MountKind
    root: str
    trace: str
    keyring: str | None = None
    live: bool = True
    """A snapshots mount also serves the basedir's live distributions at /P/dists/…"""


@dataclass(frozen=True)
class Archive:
    """What resolving needs to know of one reprepro basedir: its codenames and snapshot serials.

    Read from disk by `basedir.inventory`; kept here as plain data so resolving stays pure.
    `dates`: (codename, serial) → its InRelease `Date` (epoch seconds), only for snapshots that
    are complete and signed: the instants a timestamp URL (/P/20261121T120000Z/…) floors to.
    """

    codenames: tuple[str, ...] = ()
    serials: Mapping[str, frozenset[str]] = field(default_factory=dict)
    dates: Mapping[tuple[str, str], int] = field(default_factory=dict)

    def all_serials(self) -> frozenset[str]:
        return frozenset().union(*self.serials.values()) if self.serials else frozenset()

    def with_serial(self, serial: str, codenames: tuple[str, ...]) -> Archive:
        """This archive once `serial` exists for `codenames` too (found on disk since)."""
        serials = dict(self.serials)
        for codename in codenames:
            serials[codename] = serials.get(codename, frozenset()) | {serial}
        return Archive(self.codenames, serials, self.dates)

    def without_serial(self, serial: str, codenames: frozenset[str] | set[str]) -> Archive:
        """This archive once `serial` is gone for `codenames` (`snapshot gc` removed it)."""
        serials = {c: s - {serial} if c in codenames else s for c, s in self.serials.items()}
        dates = {k: d for k, d in self.dates.items() if not (k[1] == serial and k[0] in codenames)}
        return Archive(self.codenames, serials, dates)


@dataclass(frozen=True)
class Source:
    """One place a URL's bytes may come from: a file relative to a trusted directory.

    `confined`: a data file under the mount's root, served only if where it resolves passes
    `rewrite_rules.confine.may_serve` (a symlink may point anywhere).
    """

    base: str
    relpath: str
    generated: bool = False
    confined: bool = False


@dataclass(frozen=True)
class Target:
    """A URL that names something servable: the first of `sources` that exists answers it.

    `directory` marks URLs that end in "/": they are answered by a generated page.
    """

    mount: Mount
    sources: tuple[Source, ...]
    cache: CacheClass
    directory: bool = False


class MissReason(enum.StrEnum):
    BAD_REQUEST = "bad-request"
    TOO_LONG = "too-long"
    NOT_FOUND = "not-found"
    FORBIDDEN_NAME = "forbidden-name"
    UNKNOWN_SERIAL = "unknown-serial"
    UNKNOWN_CODENAME = "unknown-codename"
    NO_SNAPSHOT_AT = "no-snapshot-at"
    """A timestamp URL before the first snapshot, in the future, or not a valid time."""


_MISS_STATUS = {
    MissReason.BAD_REQUEST: 400,
    MissReason.TOO_LONG: 414,
}


@dataclass(frozen=True)
class Miss:
    """A URL that names nothing. `mount` is set when fresher knowledge of it might help.

    An unknown serial also says which one, and for which codename ("" when the URL names
    none, as a pool URL does), so the server can look for exactly that snapshot on disk."""

    reason: MissReason
    message: str
    mount: Mount | None = None
    serial: str = ""
    codename: str = ""

    @property
    def status(self) -> int:
        return _MISS_STATUS.get(self.reason, 404)

    @property
    def may_be_stale(self) -> bool:
        """True when a re-read of the mount's codenames and serials could turn this into a hit."""
        return self.reason in (MissReason.UNKNOWN_SERIAL, MissReason.UNKNOWN_CODENAME)
