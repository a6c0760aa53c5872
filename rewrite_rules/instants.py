"""Which requests are timestamp URLs: their answer depends on the clock and the Dates known,
so the server neither remembers it nor trusts Dates older than a second. Pure, no I/O."""

from __future__ import annotations

import re

from .model import Miss, Mount, MountKind
from .paths import merge_slashes, split_path
from .resolve import Rules, match_mount, mount_segments
from .timetravel import INSTANT


def instant_mount(rules: Rules, raw_path: str) -> Mount | None:
    """The snapshots mount when `raw_path` is a timestamp URL (/P/TIME/…), whose answer
    depends on the clock and on the Dates known: never remembered, re-read when asked."""
    if not _INSTANT_SEGMENT.search(raw_path) or merge_slashes(raw_path) is not None:
        return None  # the common case, without decoding the path; or a 301 to one
    split = split_path(raw_path)
    if isinstance(split, Miss):
        return None
    segments = split[0]
    mount = match_mount(rules, segments)
    if mount is None or mount.kind is not MountKind.SNAPSHOTS:
        return None
    rest = segments[len(mount_segments(mount)) :]
    return mount if rest and INSTANT.match(rest[0]) else None


_INSTANT_SEGMENT = re.compile(r"/\d{8}(?:T\d{6}Z)?(?:/|\Z)")
