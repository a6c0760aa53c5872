"""The facts of one Release file, as the pages, the trace and the health checks use them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Distribution:
    """One Release file (snapshot, repository suite or tagged suite), read with python-debian."""

    codename: str
    suite: str
    origin: str
    label: str
    architectures: tuple[str, ...]
    components: tuple[str, ...]
    date: int | None
    valid_until: int | None
    signed: bool  # InRelease, or Release + Release.gpg, exists
    has_sources: bool  # a source index exists: the stanza offers deb-src too
