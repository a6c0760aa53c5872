"""A Release's package indexes, found through its SHA256 list, and parsed with python-debian.

Each COMPONENT/binary-ARCH/Packages and COMPONENT/source/Sources that the Release lists (in
any of its compressed forms) is one `IndexFile`. Its `key` is the SHA256 the Release gives
for the uncompressed index (Debian and reprepro list it even when only Packages.gz is on
disk), else that of the variant read: the same content has the same key in every serial,
whatever compression, so a cache keyed by it serves consecutive serials. The variant read is
checked against its own listed SHA256 before it is parsed: a half-written or tampered index
is skipped (logged), never cached.

Files are read through snapfront.base.confined, like every read of a data root: a symlink out of
the root, or a FIFO, is treated as missing.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import logging
import lzma
import os
import re
from dataclasses import dataclass

from debian.deb822 import Deb822, Release

from snapfront.base.confined import read_file
from snapfront.basedir.release import RELEASE_LIMIT
from snapfront.rewrite_rules import MountKind
from snapfront.rewrite_rules.names import RELEASE_FIELDS

from .compare import highest

log = logging.getLogger(__name__)

SOURCE = "source"
"""The architecture a Sources index is shown under."""
INDEX_LIMIT = 1 << 30
"""Bytes of one index we read or decompress at most (Debian's largest Packages is ~70 MB)."""
_NAME = re.compile(r"(?:binary-(?P<arch>[^/]+)/Packages|source/Sources)(?P<ext>\.gz|\.xz|\.bz2)?")
_READ_ORDER = ("", ".xz", ".gz", ".bz2")
_COMPRESSED = (".gz", ".xz", ".bz2")
_FIELDS = ["Package", "Version", "package", "version"]
"""Only these are kept (python-debian's filter is case-sensitive: the spellings archives use).
Keeping two fields of ~15 halves the parse time of a Debian-sized Packages file."""


@dataclass(frozen=True, order=True)
class Scope:
    """What one index covers: a codename's component and architecture ("source": Sources)."""

    codename: str
    component: str
    architecture: str


@dataclass(frozen=True)
class IndexFile:
    scope: Scope
    key: str  # SHA256 of the uncompressed index (see the module docstring)
    variants: tuple[tuple[str, str, int], ...]  # (path on disk, its SHA256, size), read order


def release_indexes(
    directory: str, root: str, kind: MountKind | None, codename: str
) -> tuple[IndexFile, ...] | None:
    """The indexes the Release family in `directory` lists; None when it has none we can read."""
    data = None
    for name in RELEASE_FIELDS:
        data = read_file(root, os.path.join(directory, name), kind, RELEASE_LIMIT)
        if data is not None:
            break
    if data is None:
        return None
    try:
        release = Release(data)  # unwraps a clearsigned InRelease
        components = release.get("Components", "").split()
        entries = release.get("SHA256") or []
        if not isinstance(entries, list):
            raise ValueError("SHA256 is not a list")
        listed = {e["name"]: (e["sha256"], int(e["size"])) for e in entries}
    except (ValueError, TypeError, KeyError, AttributeError, UnicodeError) as exc:
        log.warning("%s: malformed Release file: %s", directory, exc)
        return None
    found: dict[tuple[Scope, str], dict[str, tuple[str, int]]] = {}
    for name, (sha, size) in listed.items():
        for component in components:
            match = (
                _NAME.fullmatch(name[len(component) + 1 :])
                if name.startswith(component + "/")
                else None
            )
            if match:
                scope = Scope(codename, component, match["arch"] or SOURCE)
                base = name[: len(name) - len(match["ext"] or "")]
                found.setdefault((scope, base), {})[match["ext"] or ""] = (sha, size)
    indexes = []
    for (scope, base), variants in sorted(found.items()):
        key = (variants.get("") or next(variants[e] for e in _READ_ORDER if e in variants))[0]
        ordered = tuple(
            (os.path.join(directory, base + ext), *variants[ext])
            for ext in _READ_ORDER
            if ext in variants
        )
        indexes.append(IndexFile(scope, key, ordered))
    return tuple(indexes)


def read_index(index: IndexFile, root: str, kind: MountKind | None) -> dict[str, str] | None:
    """Package (or source) name → version, from the first variant on disk whose bytes match
    the Release; None when none does. A name listed twice keeps its highest version."""
    for path, sha, size in index.variants:
        data = read_file(root, path, kind, INDEX_LIMIT)
        if data is None:
            continue
        if len(data) != size or hashlib.sha256(data).hexdigest() != sha:
            log.warning("%s: does not match its Release (being written?): skipped", path)
            continue
        try:
            return parse(data, os.path.splitext(path)[1] if path.endswith(_COMPRESSED) else "")
        except (OSError, EOFError, lzma.LZMAError, ValueError, UnicodeError) as exc:
            log.warning("%s: unreadable index: %s", path, exc)
    return None


def parse(data: bytes, ext: str = "") -> dict[str, str]:
    """A Packages or Sources text (compressed as `ext` says) → name → version."""
    if ext:
        data = _decompress(data, ext)
    lines = _Lines(data.decode("utf-8", errors="replace").splitlines())
    versions: dict[str, str] = {}
    extra: dict[str, list[str]] = {}
    while not lines.done:
        # Deb822.iter_paragraphs stops at the first paragraph that keeps none of `fields`;
        # building each paragraph from the shared line iterator goes on to the end.
        paragraph = Deb822(lines, fields=_FIELDS)
        name, version = paragraph.get("Package"), paragraph.get("Version")
        if not name or not version:
            continue
        if name in versions:
            extra.setdefault(name, [versions[name]]).append(version)
        versions[name] = version
    for name, seen in extra.items():
        versions[name] = highest(seen)
    return versions


def _decompress(data: bytes, ext: str) -> bytes:
    """At most INDEX_LIMIT bytes of a .gz, .xz or .bz2 file; more is refused."""
    opener = {".gz": gzip.open, ".xz": lzma.open, ".bz2": bz2.open}[ext]
    with opener(io.BytesIO(data), "rb") as fh:
        out = fh.read(INDEX_LIMIT + 1)
    if len(out) > INDEX_LIMIT:
        raise ValueError("index larger than the limit once decompressed")
    return out


class _Lines:
    """An iterator over lines that says when it has run out."""

    def __init__(self, lines: list[str]) -> None:
        self._lines = iter(lines)
        self.done = False

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        try:
            return next(self._lines)
        except StopIteration:
            self.done = True
            raise
