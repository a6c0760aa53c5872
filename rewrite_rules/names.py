"""The names of the URL space and of a reprepro basedir that every rule and reader shares."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from .model import MountKind

SERIAL = re.compile(r"\d{10}\Z")
INRELEASE, RELEASE, RELEASE_GPG = "InRelease", "Release", "Release.gpg"
RELEASE_NAMES = (INRELEASE, RELEASE, RELEASE_GPG)
"""The Release family of a dists/ directory, in the order a reader looks: the clear-signed
InRelease first (APT's choice too), then the Release its detached Release.gpg signs."""
RELEASE_FAMILY = frozenset(RELEASE_NAMES)
RELEASE_FIELDS = RELEASE_NAMES[:2]
"""The two that hold the Release fields (python-debian unwraps InRelease's signature)."""
REPREPRO_INTERNALS = frozenset({"conf", "db", "incoming", "logs", "tmp"})
TRACE_DIR = ("project", "trace")
KEYRING_NAME = "keyring.gpg"
POOL_AT = {MountKind.SNAPSHOTS: 0, MountKind.REPOSITORY: 0, MountKind.TAGGED: 2}
"""Where the pool sits in a data path, per kind with one: pool/… or TAG/ARCHIVE/pool/…"""
INDEX_PAGE = "index.html"
INDEX_JSON = "index.json"
PAGE_FILES = (INDEX_PAGE, INDEX_JSON)  # what a directory's generated page is
FEED_NAME = "feed.atom"
"""A files mount's top-level directory's Atom feed, beside its page."""
GENERATED_NAMES = frozenset({*PAGE_FILES, FEED_NAME})
"""File names the generator writes beside a directory's page; they answer before the root's."""
CHECKSUMS = "SHA256SUMS"
"""A files mount's directory checksums (`sha256sum -c`): a release manager's own file in the
root answers first; else the one the generator wrote beside the directory's page."""
CHECKSUMS_SIGNATURES = frozenset(CHECKSUMS + suffix for suffix in (".sig", ".asc", ".gpg"))
"""A release manager's signatures of SHA256SUMS: linked beside it, never listed in it."""
POOL = "pool"
DISTS = "dists"
SNAPSHOTS_DIR = "snapshots"
"""reprepro gensnapshot's directory: dists/CODENAME/snapshots/SERIAL/."""
BY_HASH = "by-hash"
CHANGES = "changes"
"""/P/SERIAL/changes/: the generated page of what changed since the previous serial."""
CHANGES_JSON = "changes.json"
"""/P/SERIAL/changes.json: the same JSON as /P/SERIAL/changes/index.json (no second file)."""
TAGGED_AREAS = (DISTS, POOL)
"""The only directories of a tagged basedir that are served: /P/TAG/ARCHIVE/(dists|pool)/…"""
INDEX_DIRS = frozenset({"snapshots", "by-hash", "source", "i18n", "debian-installer", "dep11"})
TEMPORARY_SUFFIXES = (".new", ".lock")
LOCK_NAMES = frozenset({"lockfile"})
"""Names never served in any segment: reprepro's NAME.new while it writes, and lock files."""


def split_codename(
    codenames: Iterable[str], tail: Sequence[str]
) -> tuple[str | None, tuple[str, ...]]:
    """The longest known codename that `tail` starts with (one may hold a "/": `jessie` and
    `jessie/updates` are both codenames), and the segments after it; (None, tail) if none."""
    best: tuple[str, ...] = ()
    for name in codenames:
        parts = tuple(name.split("/"))
        if tuple(tail[: len(parts)]) == parts and len(parts) > len(best):
            best = parts
    if not best:
        return None, tuple(tail)
    return "/".join(best), tuple(tail[len(best) :])


def is_index_dir(name: str) -> bool:
    """Directories below a codename that hold indexes, never codenames (they have Release too)."""
    return name in INDEX_DIRS or name.startswith(("binary-", "installer-"))
