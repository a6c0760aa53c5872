"""The one writer of the output directory: atomic, only when bytes change, precompressed.

Every file goes to a temp file beside its target, then `os.replace`: a reader (the server, a
CDN, rsync to a replica) sees the old file or the new one, never half of one. Unchanged bytes
are not rewritten, so mtimes and ETags of unchanged pages stay put. gzip is written with a
zero timestamp and brotli is deterministic, so replicas that render the same page agree.
"""

from __future__ import annotations

import contextlib
import gzip
import os
from collections.abc import Iterable

import brotli

from snapfront.base.atomic import STATE_DIR, atomic_write
from snapfront.rewrite_rules.static import ASSET_DIR

BROTLI_QUALITY = 5
"""Measured (bench/RESULTS-generator.md): on 12 KB pages quality 5 takes 0.7-1.4 ms against
9-11 ms for 9, for 0.5 % more bytes; on a 1 MB page 16 ms against 62 ms. 11 saves ~10 %
more at 15-40 times the time of 5, which a full build of thousands of pages cannot afford."""
GZIP_LEVEL = 6
"""Measured on a 100,000-file build: level 9 took 5 s more (30 s against 25 s) for pages a
fraction of a percent smaller; browsers that can take brotli get the .br anyway."""
MIN_SAVING = 0.05
"""A variant is kept only when it is at least this much smaller (like whitenoise)."""
MIN_SIZE = 4096
"""No variant for a smaller file (assets pass their own). One filesystem block: below it the
two variants triple the file's footprint (3 blocks, not 1), while the raw answer still fits
in three TCP segments, inside the first flight: no round trip saved, only 1-3 KB a request.
Measured on the archive bench's pages (bench/RESULTS-archive.md, scale 0.01, du
--block-size=1 of whole builds / bytes of one br fetch of every page): T=0 36.5 MB 6,388
files 1.41 MB; 2048: 31.4 MB 5,138 files 1.83 MB; 4096: 26.6 MB 3,974 files 2.99 MB; 8192:
21.5 MB 2,736 files 6.16 MB. Above 4 KiB a 25-file pool page's index.json (~5 KB, 0.4 KB
br) loses its variant: at scale 0.1, 6144 saves 20 % of the disk for 3.2 times the bytes."""
VARIANTS = {".br": lambda data: brotli.compress(data, quality=BROTLI_QUALITY),
            ".gz": lambda data: gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)}  # fmt: skip


class DuplicateOutput(RuntimeError):
    """Two pages claimed one output path: a bug in the page list, never silently overwritten."""


def _same(path: str, data: bytes) -> bool:
    try:
        if os.path.getsize(path) != len(data):
            return False
        with open(path, "rb") as fh:
            return fh.read() == data
    except OSError:
        return False


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


class Writer:
    def __init__(self, output: str) -> None:
        self.output = output
        self.written = 0
        self.unchanged = 0
        self.produced: set[str] = set()
        self.removed_paths: list[str] = []

    def write(
        self,
        relpath: str,
        data: bytes,
        compress: bool = True,
        min_size: int | None = None,
        mtime: float | None = None,
    ) -> bool:
        """Write OUTPUT/relpath (and its .br/.gz when `compress`, it holds `min_size` bytes
        or more and a variant pays) if its bytes changed; True when it did. `mtime`: the
        files' modification time (their Last-Modified), the same on every replica."""
        path = os.path.join(self.output, relpath)
        if path in self.produced:
            raise DuplicateOutput(f"{relpath} was generated twice in one build")
        self.produced.add(path)
        changed = not _same(path, data)
        wanted = compress and len(data) >= (MIN_SIZE if min_size is None else min_size)
        for suffix in VARIANTS if not wanted else ():
            _remove(path + suffix)  # first: a variant of earlier bytes must not answer for these
        if changed:
            atomic_write(path, data, mtime)
            self.written += 1
        else:
            self.unchanged += 1
            _set_mtime(path, mtime)
        for suffix, compressor in VARIANTS.items() if wanted else ():
            variant = path + suffix
            if not changed and os.path.exists(variant):
                self.produced.add(variant)
                _set_mtime(variant, mtime)
                continue
            packed = compressor(data)
            if len(packed) <= len(data) * (1 - MIN_SAVING):
                if not _same(variant, packed):
                    atomic_write(variant, packed, mtime)
                self.produced.add(variant)
            else:
                _remove(variant)  # a stale variant would answer for the new bytes
        return changed

    def keep(self, relpath: str, compress: bool = True) -> None:
        """Count OUTPUT/relpath (and its variants) as produced and unchanged without reading
        it: the caller knows it would render the same bytes (see build.Builder)."""
        path = os.path.join(self.output, relpath)
        if path in self.produced:
            raise DuplicateOutput(f"{relpath} was generated twice in one build")
        self.produced.add(path)
        self.produced.update(path + suffix for suffix in (VARIANTS if compress else ()))
        self.unchanged += 1

    def discard(self, relpath: str) -> bool:
        """Remove the file OUTPUT/relpath that an output no longer makes (not its variants: it
        has none); True when there was one. What this build produced is never removed."""
        path = os.path.join(self.output, relpath)
        if path in self.produced:
            return False
        try:
            os.unlink(path)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return False
        return True

    def prune(self, prefixes: Iterable[str], skip: Iterable[str] = ()) -> int:
        """Remove generated files under the given URL prefixes that this build did not produce
        (a dropped snapshot's pages); the state directory and foreign files are left alone, and
        so is everything under a `skip` prefix (another mount nested inside, which this build
        did not gather). Removed paths are kept in `removed_paths`, relative to the output."""
        removed = 0
        skip = [*skip, ASSET_DIR]  # the assets' own writer prunes them (generator.assets)
        kept = tuple(os.path.join(self.output, p.strip("/")) + os.sep for p in skip)
        for prefix in prefixes:
            top = os.path.join(self.output, prefix.strip("/"))
            for folder, _, files in os.walk(top, topdown=False):
                if STATE_DIR in folder[len(self.output) :].split(os.sep):
                    continue
                if (folder + os.sep).startswith(kept):
                    continue
                for name in files:
                    path = os.path.join(folder, name)
                    if path not in self.produced and not name.startswith("."):
                        os.unlink(path)
                        self.removed_paths.append(os.path.relpath(path, self.output))
                        removed += 1
                if folder != os.path.normpath(self.output) and not os.listdir(folder):
                    os.rmdir(folder)  # an empty directory left by a dropped snapshot
        return removed


def _set_mtime(path: str, mtime: float | None) -> None:
    """An unchanged file keeps its bytes but takes the wanted date (written before dates were
    set, or the date's inputs moved without changing the page)."""
    if mtime is None:
        return
    with contextlib.suppress(FileNotFoundError):
        if os.stat(path).st_mtime != mtime:
            os.utime(path, (mtime, mtime))
