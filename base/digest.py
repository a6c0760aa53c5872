"""The SHA-256 of a file's bytes, read in blocks: recovery checks a file it planned against
what is on disk, upload processing a file against its .changes."""

from __future__ import annotations

import hashlib

BLOCK = 1 << 20


def file_sha256(path: str) -> str | None:
    """Hex digest of `path`'s bytes; None when it cannot be read (gone, a directory)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(BLOCK), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()
