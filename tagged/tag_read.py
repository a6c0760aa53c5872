"""Read a tag on disk: TAG/ORIGIN reprepro basedirs, their suites, the serial each was pulled
from (the `Suite:` of its conf/updates: what reprepro read) and their pool's size."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from snapfront.basedir.inventory import codenames_on_disk, configured_codenames

from .indexes import SuiteIndex, read_suite
from .manifest import Entry

_SUITE = re.compile(r"^Suite:\s*\S+/snapshots/(\d{10})\s*$", re.MULTILINE)


@dataclass(frozen=True)
class TagOrigin:
    name: str
    basedir: str
    suites: tuple[SuiteIndex, ...]
    serials: tuple[str, ...]  # normally one; none for a tag made by another tool

    @property
    def entries(self) -> frozenset[Entry]:
        every: set[Entry] = set()
        for suite in self.suites:
            for group in (*suite.binaries.values(), *suite.sources.values()):
                every |= group
        return frozenset(every)


def origins_of(tag_dir: str) -> list[str]:
    """The TAG/ORIGIN directories, by name (hidden ones are no origin)."""
    try:
        names = [e.name for e in os.scandir(tag_dir) if e.is_dir() and not e.name.startswith(".")]
    except FileNotFoundError:
        return []
    return sorted(names)


def read_origin_of_tag(tag_dir: str, name: str) -> TagOrigin:
    basedir = os.path.join(tag_dir, name)
    codenames = configured_codenames(basedir) or codenames_on_disk(basedir)
    suites = tuple(
        read_suite(os.path.join(basedir, "dists", codename), codename) for codename in codenames
    )
    try:
        with open(os.path.join(basedir, "conf", "updates"), encoding="utf-8") as fh:
            serials = tuple(sorted(set(_SUITE.findall(fh.read()))))
    except OSError:
        serials = ()
    return TagOrigin(name, basedir, suites, serials)


def pool_bytes(basedir: str) -> int:
    """Apparent size of the files under `basedir`/pool."""
    total = 0
    for parent, _dirs, names in os.walk(os.path.join(basedir, "pool")):
        for name in names:
            total += os.lstat(os.path.join(parent, name)).st_size
    return total
