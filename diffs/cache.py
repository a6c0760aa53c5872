"""Parsed indexes and their deltas, kept by the SHA256 their Release lists.

Consecutive serials share most index files, so a new serial costs only its new ones: a map
(name → version) is parsed once per content, whichever serial or compression it came from;
the delta between two contents is computed once. Both live in memory (bounded) and under the
output's private state directory, `output/.snapfront/indexes/` (written atomically; a
`snapfront build` or `snapfront diff` in a fresh process reads them back). The directory is
bounded by DISK_LIMIT bytes: past it, the oldest written files go first. A hit never writes
(not even an mtime), so rebuilding an unchanged tree rewrites nothing here either.

`parsed` counts index files read and parsed from a data root, `loaded` maps read back from
the disk cache: what tests and the bench observe.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections import OrderedDict

from snapfront.base.atomic import STATE_DIR, atomic_write
from snapfront.base.stamps import stamps
from snapfront.rewrite_rules import MountKind
from snapfront.rewrite_rules.names import RELEASE_FIELDS

from .compare import Change, Delta, compare
from .indexes import IndexFile, read_index, release_indexes

log = logging.getLogger(__name__)

FOLDER = "indexes"
DISK_LIMIT = 256 * 1024 * 1024
"""Bytes of output/.snapfront/indexes/ at most (a Debian-sized Packages map is ~2 MB)."""
MEMORY_MAPS = 16
MEMORY_DELTAS = 4096
MEMORY_RELEASES = 50_000
EMPTY = "-"
"""The key of "no index on this side" (a codename, component or architecture only on one)."""
_KINDS = ("added", "removed", "upgraded", "downgraded")


class IndexCache:
    def __init__(self, output: str | None, disk_limit: int = DISK_LIMIT) -> None:
        self.folder = os.path.join(output, STATE_DIR, FOLDER) if output else None
        self.disk_limit = disk_limit
        self._maps: OrderedDict[str, dict[str, str]] = OrderedDict()
        self._deltas: OrderedDict[tuple[str, str], Delta] = OrderedDict()
        self._releases: dict[tuple, tuple[IndexFile, ...] | None] = {}
        self.parsed = 0
        self.loaded = 0

    def indexes(
        self, directory: str, root: str, kind: MountKind | None, codename: str
    ) -> tuple[IndexFile, ...] | None:
        """release_indexes, remembered by the Release files' stats: an archive page shows the
        counts of every serial, and is rendered again with each new one."""
        key = (directory, codename, *stamps(directory, RELEASE_FIELDS))
        if key not in self._releases:
            if len(self._releases) >= MEMORY_RELEASES:
                self._releases.clear()
            self._releases[key] = release_indexes(directory, root, kind, codename)
        return self._releases[key]

    def versions(
        self, index: IndexFile | None, root: str, kind: MountKind | None
    ) -> dict[str, str] | None:
        """The index's name → version map (empty for None); None when it cannot be read."""
        if index is None:
            return {}
        found = self._maps.get(index.key)
        if found is None:
            found = self._load(index.key + ".json", dict)
            if found is None:
                found = read_index(index, root, kind)
                if found is None:
                    return None
                self.parsed += 1
                self._store(index.key + ".json", found)
            else:
                self.loaded += 1
            _remember(self._maps, index.key, found, MEMORY_MAPS)
        return found

    def delta(
        self, old: IndexFile | None, new: IndexFile | None, root: str, kind: MountKind | None
    ) -> Delta | None:
        """What changed from `old` to `new`; None when either side cannot be read."""
        key = (old.key if old else EMPTY, new.key if new else EMPTY)
        if key[0] == key[1]:
            return Delta()  # the same content: nothing to read at all
        found = self._deltas.get(key)
        if found is None:
            name = f"{key[0]}-{key[1]}.delta.json"
            stored = self._load(name, dict)
            found = _delta_from(stored) if stored is not None else None
            if found is None:
                before, after = self.versions(old, root, kind), self.versions(new, root, kind)
                if before is None or after is None:
                    return None
                found = compare(before, after)
                self._store(name, _delta_to(found))
            _remember(self._deltas, key, found, MEMORY_DELTAS)
        return found

    def _load(self, name: str, kind: type) -> dict | None:
        if self.folder is None:
            return None
        try:
            with open(os.path.join(self.folder, name), encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, ValueError):
            return None
        return data if isinstance(data, kind) else None

    def _store(self, name: str, data: dict) -> None:
        if self.folder is None:
            return
        try:
            atomic_write(os.path.join(self.folder, name), json.dumps(data).encode())
            self._bound()
        except OSError as exc:  # a read-only output: the cache is a convenience
            log.warning("%s: cannot write the index cache: %s", self.folder, exc)
            self.folder = None

    def _bound(self) -> None:
        assert self.folder is not None
        files = []
        with os.scandir(self.folder) as entries:
            for entry in entries:
                if entry.name.endswith(".json") and entry.is_file(follow_symlinks=False):
                    st = entry.stat(follow_symlinks=False)
                    files.append((st.st_mtime_ns, st.st_size, entry.path))
        total = sum(size for _, size, _ in files)
        for _, size, path in sorted(files):
            if total <= self.disk_limit:
                break
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            total -= size


def _remember(memo: OrderedDict, key: object, value: object, limit: int) -> None:
    memo[key] = value
    memo.move_to_end(key)
    while len(memo) > limit:
        memo.popitem(last=False)


def _delta_to(delta: Delta) -> dict[str, list]:
    return {k: [[c.package, c.old, c.new] for c in getattr(delta, k)] for k in _KINDS}


def _delta_from(stored: dict) -> Delta | None:
    try:
        return Delta(*(tuple(Change(*row) for row in stored[k]) for k in _KINDS))
    except (KeyError, TypeError):
        return None
