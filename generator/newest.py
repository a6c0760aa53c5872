"""Each mount's newest data, from the directory listings a build already holds.

A full build scans every directory of a mount (generator.pages.walk); the watcher keeps
those listings and rescans only the directories it hears about. The newest entry of each
listing is remembered by the listing's identity, so a build after a one-file change costs
one pass over the directories, not a stat per file. Snapshots mounts are left out: their
newest data is their newest serial (health.facts reads it from the Release files).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from snapfront.health.newest_file import Newest
from snapfront.rewrite_rules import Mount, MountKind

from .scan import Entry

Listings = Mapping[str, tuple[Entry, ...]]


class NewestData:
    """Directory → (its listing as last seen, that listing's newest entry)."""

    def __init__(self) -> None:
        self._memo: dict[str, tuple[tuple[Entry, ...], Entry | None]] = {}

    def find(self, mounts: Iterable[Mount], listings: Listings) -> dict[str, Newest]:
        """Mount URL → its newest entry, for every mount but snapshots ones whose root is a
        directory. The root's own mtime counts: removing a top-level entry changes only it."""
        found: dict[str, Newest] = {}
        wanted = [m for m in mounts if m.kind is not MountKind.SNAPSHOTS]
        for mount in wanted:
            try:
                top = Newest(os.stat(mount.root).st_mtime_ns, "")
            except OSError:
                continue
            found[mount.url] = top
        roots = {os.path.normpath(m.root): m.url for m in wanted if m.url in found}
        root_of = {url: root for root, url in roots.items()}
        seen = set()
        for folder, entries in listings.items():
            url = _owner(folder, roots)
            if url is None:
                continue
            seen.add(folder)
            newest = self._newest(folder, entries)
            if newest is not None and newest.mtime_ns > found[url].mtime_ns:
                rel = os.path.relpath(os.path.join(folder, newest.name), root_of[url])
                found[url] = Newest(newest.mtime_ns, rel.replace(os.sep, "/"))
        for gone in set(self._memo) - seen:
            del self._memo[gone]
        return found

    def _newest(self, folder: str, entries: tuple[Entry, ...]) -> Entry | None:
        memo = self._memo.get(folder)
        if memo is not None and memo[0] is entries:
            return memo[1]
        newest = max(entries, key=lambda e: e.mtime_ns, default=None)
        self._memo[folder] = (entries, newest)
        return newest


def _owner(folder: str, roots: dict[str, str]) -> str | None:
    """The mount whose root holds `folder`; the deepest root wins (a root nested in another)."""
    best = None
    for root, url in roots.items():
        if (folder == root or folder.startswith(root + os.sep)) and (
            best is None or len(root) > len(best[0])
        ):
            best = (root, url)
    return None if best is None else best[1]
