"""sha256 of data files, computed once and kept by path, size and mtime_ns across builds.

The cache lives in the output directory under `.snapfront/` (a hidden name the server never
serves) and is written atomically like every other output file.
"""

from __future__ import annotations

import hashlib
import json
import os

from snapfront.base.atomic import atomic_write
from snapfront.base.confined import open_file
from snapfront.rewrite_rules import Mount

CHUNK = 1 << 20


class HashCache:
    def __init__(self, output: str) -> None:
        self.path = os.path.join(output, ".snapfront", "sha256.json")
        self.hashed = 0
        self._dirty = False
        self._loaded: dict[str, list] | None = None
        self._used: set[str] = set()

    @property
    def _known(self) -> dict[str, list]:
        """Read on first use: a page rendered on request (generator.on_request) hashes nothing
        and must not parse the whole tree's cache to find that out."""
        if self._loaded is None:
            try:
                with open(self.path, encoding="utf-8") as fh:
                    self._loaded = json.load(fh)
            except (OSError, ValueError):
                self._loaded = {}
        return self._loaded

    @_known.setter
    def _known(self, value: dict[str, list]) -> None:
        self._loaded = value

    def sha256(self, mount: Mount, path: str, size: int, mtime_ns: int) -> str | None:
        """The file's sha256, read only when it is new or changed; None if it vanished or is
        not a regular file the mount serves (base.confined: never a FIFO, never outside)."""
        self._used.add(path)
        known = self._known.get(path)
        if known and known[0] == size and known[1] == mtime_ns:
            return known[2]
        digest = hashlib.sha256()
        try:
            with open_file(mount.root, path, mount.kind) as fh:
                if fh is None:
                    return None
                while chunk := fh.read(CHUNK):
                    digest.update(chunk)
        except OSError:
            return None
        self.hashed += 1
        self._known[path] = [size, mtime_ns, digest.hexdigest()]
        self._dirty = True
        return digest.hexdigest()

    def save(self, forget_unused: bool = True) -> None:
        """Persist; a full build forgets files it did not see (removed or renamed)."""
        if forget_unused and set(self._known) - self._used:
            self._known = {k: v for k, v in self._known.items() if k in self._used}
            self._dirty = True
        if self._dirty:
            atomic_write(self.path, json.dumps(self._known, sort_keys=True).encode())
            self._dirty = False
