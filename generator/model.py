"""What a generated page shows, as frozen values: the templates only loop and print.

Sorting, sizes, dates, states and links are decided in Python (generator.pages); a template
never computes. The same values feed index.html, index.json and the Atom feeds.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from snapfront.basedir.model import Distribution
from snapfront.diffs.changes import Comparison
from snapfront.diffs.compare import Counts, Delta


@dataclass(frozen=True)
class Link:
    label: str
    href: str


@dataclass(frozen=True)
class Row:
    """One entry of a directory listing; `href` is relative to the page and percent-encoded."""

    name: str
    href: str
    is_dir: bool
    size: int | None = None
    mtime: int | None = None  # epoch seconds, UTC
    sha256: str | None = None
    signatures: tuple[Link, ...] = ()  # a tarball's .sig/.asc, shown on its row


class Validity(enum.StrEnum):
    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    UNLIMITED = "no Valid-Until"


DAY = 86400
EXPIRING_WITHIN = 7 * DAY
"""The least warning a page gives before Valid-Until (see expiring_within)."""


def next_midnight(now: float) -> float:
    """The next 00:00 UTC after `now`: when pages' days left move (the watcher rescans)."""
    return (now // DAY + 1) * DAY


def expiring_within(min_valid_for: float) -> float:
    """How long before Valid-Until a page marks a snapshot expiring: `[health] min_valid_for`
    (when /-/ready turns 503), but never less than 7 days, time enough to bump it."""
    return max(min_valid_for, EXPIRING_WITHIN)


def validity(valid_until: int | None, now: float, within: float = EXPIRING_WITHIN) -> Validity:
    """A Release file's state at `now` (pages pass 00:00 UTC of their day: on the day it
    expires a snapshot shows as expiring, "expires today", beside its exact Valid-Until)."""
    if valid_until is None:
        return Validity.UNLIMITED
    if valid_until <= now:
        return Validity.EXPIRED
    if valid_until - now <= within:
        return Validity.EXPIRING
    return Validity.VALID


@dataclass(frozen=True)
class Stanza:
    """A deb822 .sources stanza, ready to copy into /etc/apt/sources.list.d/NAME.sources."""

    types: tuple[str, ...]
    uri: str
    suites: tuple[str, ...]
    components: tuple[str, ...]
    signed_by: str | None  # where the keyring should live on the client
    keyring_url: str | None  # where to fetch it from

    @property
    def text(self) -> str:
        lines = [
            f"Types: {' '.join(self.types)}",
            f"URIs: {self.uri}",
            f"Suites: {' '.join(self.suites)}",
            f"Components: {' '.join(self.components)}",
        ]
        if self.signed_by:
            lines.append(f"Signed-By: {self.signed_by}")
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class SnapshotConf:
    """The client line that makes `apt update --snapshot ID` fetch this host's snapshots,
    ready to copy into /etc/apt/apt.conf.d/NAME (see generator.live_pages)."""

    path: str  # where it goes on the client
    text: str  # the file's contents
    warning: str | None = None  # an Origin/Label for which APT ignores a Host line


@dataclass(frozen=True)
class Suite:
    """A distribution as a page shows it: its Release facts, state and stanza."""

    distribution: Distribution
    validity: Validity
    stanza: Stanza
    href: str  # URL path of its dists/CODENAME/ page (absolute: suites show on many pages)
    kind: str | None = None  # a repository mount's: main, overlay, release, other (suites)


@dataclass(frozen=True)
class SuiteEvent:
    """One change of a repository suite's history (suites.history), as its page shows it."""

    event: str  # upload, merge, reset, tag, removal, outside
    title: str  # what the page says: "merge", "changed outside snapfront" …
    when: int  # epoch seconds, UTC
    detail: str  # "from devel", an upload's .changes …
    delta: Delta  # what came and went, by package (binaries; sources as src:NAME)


@dataclass(frozen=True)
class SuiteHistory:
    """A repository suite's recent history on its dists/SUITE/ page, newest first."""

    suite: str
    kind: str
    events: tuple[SuiteEvent, ...]
    older: int = 0  # events left out, older than those shown


@dataclass(frozen=True)
class SuiteRow:
    """A suite in the list of a repository mount's page."""

    name: str
    href: str  # its dists/SUITE/ page
    ref: str | None  # the Git branch or tag it follows (`suite sync`), None for the operator's
    uploads: str  # "accepted" (main and overlay), "read-only" (a release), "—" (the operator's)
    last_change: int | None  # its newest history event, epoch seconds
    last_event: str | None  # its event (upload, merge …)
    last_title: str | None = None  # the same in words, as the suite's page names it


@dataclass(frozen=True)
class SuiteGroup:
    """A repository mount's suites of one kind (main, overlay, release, other)."""

    kind: str
    title: str
    rows: tuple[SuiteRow, ...]


@dataclass(frozen=True)
class SerialRow:
    """A snapshot serial on the snapshots mount's front page."""

    serial: str
    href: str
    date: int | None
    codenames: tuple[str, ...]
    valid_until: int | None  # the earliest of its distributions
    validity: Validity
    complete: bool  # every codename has it, signed (rewrite_rules.complete; gpgv aside)
    days_left: int | None = None  # whole days before valid_until (basedir.days.days_left)
    changes: Counts | None = None  # against the previous serial; None for the first
    changes_href: str | None = None  # its changes page
    newest: bool = False  # the newest serial that counts as taken: the one the trace names


@dataclass(frozen=True)
class Repository:
    """A mount as the host's front page (`/`) lists it, so every mount is reachable from there."""

    url: str  # the mount's URL path (its page)
    kind: str  # snapshots | repository | tagged | files
    keyring: Link | None = None  # the mount's published keyring, when it has one
    newest: Link | None = None  # a snapshots mount: its newest serial's page


@dataclass(frozen=True)
class Checksums:
    """A files mount directory's SHA256SUMS as its page links it (generator.checksums).

    `sums`: (sha256, name) lines of the one the generator writes, in name order; empty when
    the release manager's own SHA256SUMS in the directory is served instead."""

    href: str
    generated: bool
    sums: tuple[tuple[str, str], ...] = ()
    signatures: tuple[Link, ...] = ()  # SHA256SUMS.sig/.asc/.gpg the release manager put there


@dataclass(frozen=True)
class UploadRow:
    """An upload reprepro rejected, taken aside under incoming/rejected/ (suites.uploads)."""

    changes: str
    suite: str
    source: str
    version: str
    reason: str  # reprepro's words
    when: int  # epoch seconds, UTC
    signed: bool


@dataclass(frozen=True)
class Page:
    """Everything index.html and index.json of one directory URL show."""

    url: str  # URL path of the directory, ending in "/"
    title: str
    breadcrumbs: tuple[Link, ...]  # href "" for a parent URL that has no page: plain text
    rows: tuple[Row, ...] = ()
    serials: tuple[SerialRow, ...] = ()
    suites: tuple[Suite, ...] = ()
    header_html: str | None = None  # rendered README.md or HEADER.html of the directory
    feed: Link | None = None
    keyring: Link | None = None
    note: str | None = None
    keep: str | None = None  # a serial page: the command that extends its Valid-Until
    changes: Comparison | None = None  # a serial's changes page: against the previous serial
    previous: Link | None = None  # a changes page: the previous serial's changes page
    date: int | None = None  # what it shows dates from, when no row says (a changes page)
    snapshot_conf: SnapshotConf | None = None  # a snapshots archive's page: apt --snapshot
    repositories: tuple[Repository, ...] = ()  # the page at "/": every mount of the host
    checksums: Checksums | None = None  # a files mount directory's SHA256SUMS
    uploads: tuple[UploadRow, ...] = ()  # a repository's top page: rejected uploads
    suite_groups: tuple[SuiteGroup, ...] = ()  # a repository mount's page: suites by kind
    history: SuiteHistory | None = None  # a repository suite's dists/SUITE/ page


@dataclass(frozen=True)
class FeedEntry:
    title: str
    href: str  # absolute URL
    updated: int
    size: int | None
    sha256: str | None


@dataclass(frozen=True)
class Feed:
    """An Atom feed of a files mount's top-level directory: its newest releases."""

    url: str  # URL path of the feed
    title: str
    site: str  # absolute URL of the directory page
    entries: tuple[FeedEntry, ...]
