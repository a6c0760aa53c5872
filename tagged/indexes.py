"""Read the Packages and Sources indexes of one suite directory (a time-based snapshot's
`dists/CODENAME/snapshots/SERIAL`, or a tag's `dists/CODENAME`): which (package, version)
each component and architecture holds, and the pool files each names.

A plain stanza scanner, not python-debian: an archive of 30,000 packages is read per origin
and codename, and only three to five fields of each stanza matter.
"""

from __future__ import annotations

import gzip
import lzma
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

from snapfront.basedir.release import read_distribution

from .manifest import Binary, Source

_OPENERS = (("", open), (".gz", gzip.open), (".xz", lzma.open))


@dataclass(frozen=True)
class PoolFile:
    path: str  # relative to the basedir: pool/main/h/hello/hello_1.0_all.deb
    size: int


@dataclass
class SuiteIndex:
    """What one suite holds: `binaries[(component, arch)]` per binary-ARCH index (an `all`
    package appears in each), `sources[component]`, and the pool files of every entry."""

    codename: str
    architectures: tuple[str, ...]
    components: tuple[str, ...]
    valid_until: int | None
    origin: str = ""
    label: str = ""
    binaries: dict[tuple[str, str], set[Binary]] = field(default_factory=dict)
    sources: dict[str, set[Source]] = field(default_factory=dict)
    files: dict[Binary | Source, list[PoolFile]] = field(default_factory=dict)


def read_suite(directory: str, codename: str, wanted: frozenset | None = None) -> SuiteIndex:
    """The suite in `directory`; only entries in `wanted` (Binary/Source) when given.
    FileNotFoundError when it has no Release."""
    release = read_distribution(directory)
    if release is None:
        raise FileNotFoundError(f"{directory}: no Release file")
    suite = SuiteIndex(
        codename, release.architectures, release.components, release.valid_until,
        release.origin, release.label,
    )  # fmt: skip
    for component in release.components:
        for arch in release.architectures:
            found = suite.binaries.setdefault((component, arch), set())
            packages = os.path.join(directory, component, f"binary-{arch}", "Packages")
            for stanza in _stanzas(packages):
                entry = Binary(stanza["Package"], stanza["Version"], stanza["Architecture"])
                if wanted is None or entry in wanted:
                    found.add(entry)
                    suite.files[entry] = [PoolFile(stanza["Filename"], int(stanza["Size"]))]
        sources = suite.sources.setdefault(component, set())
        for stanza in _stanzas(os.path.join(directory, component, "source", "Sources")):
            entry = Source(stanza["Package"], stanza["Version"])
            if wanted is None or entry in wanted:
                sources.add(entry)
                suite.files[entry] = list(_source_files(stanza))
    return suite


def _source_files(stanza: dict[str, str]) -> Iterator[PoolFile]:
    directory = stanza["Directory"]
    for line in stanza.get("Files", "").splitlines():
        parts = line.split()
        if len(parts) == 3:
            yield PoolFile(f"{directory}/{parts[2]}", int(parts[1]))


def _stanzas(base: str) -> Iterator[dict[str, str]]:
    """The stanzas of `base`, `base.gz` or `base.xz` (the first there); none when none is."""
    for suffix, opener in _OPENERS:
        try:
            fh = opener(base + suffix, "rt", encoding="utf-8")
        except FileNotFoundError:
            continue
        with fh:
            yield from _parse(fh)
        return


def _parse(lines) -> Iterator[dict[str, str]]:
    stanza: dict[str, str] = {}
    last = ""
    for line in lines:
        if line[:1] in (" ", "\t"):
            if last:
                stanza[last] += "\n" + line.strip()
        elif line.strip():
            name, _, value = line.partition(":")
            last = name if name in _KEPT else ""
            if last:
                stanza[last] = value.strip()
        elif stanza:
            yield stanza
            stanza, last = {}, ""
    if stanza:
        yield stanza


_KEPT = frozenset(("Package", "Version", "Architecture", "Filename", "Size", "Directory", "Files"))
