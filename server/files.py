"""Open the file a Target names, refusing anything that resolves outside its base directory or,
for a data file, anywhere its mount's rule (`rewrite_rules.confine`) would not serve.

Runs inline (no executor hop): open and fstat of a local file take microseconds.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from snapfront.base.confined import open_under
from snapfront.rewrite_rules import MountKind, Source


@dataclass
class Opened:
    source: Source
    path: str
    fd: int
    stat: os.stat_result

    def close(self) -> None:
        os.close(self.fd)


class IsDirectory:
    """The URL named a directory without its trailing slash."""


IS_DIRECTORY = IsDirectory()


def open_source(source: Source, kind: MountKind) -> Opened | IsDirectory | None:
    """The open regular file behind `source`, IS_DIRECTORY, or None when there is none to serve.

    A data file of the mount's root (`source.confined`) must also resolve to a place `kind`'s
    rule serves: a symlink in pool/ to conf/distributions is the same as no file.
    """
    path = os.path.join(source.base, source.relpath)
    found = open_under(source.base, path, kind if source.confined else None)
    if found is None:
        return None
    if found.is_dir:
        os.close(found.fd)
        return IS_DIRECTORY
    return Opened(source, found.real, found.fd, found.stat)
