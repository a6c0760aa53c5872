"""Content-Type by file name, from our own table so every machine answers the same.

Whole names come first (APT indices have no extension; a keyring is not a signature), then
the longest known extension. A compressed file is sent as the compressed stream under the
compressor's type, never with Content-Encoding: APT would store the decoded bytes and then
report a Hash Sum mismatch.
"""

from __future__ import annotations

DEFAULT = "application/octet-stream"
TEXT = "text/plain; charset=utf-8"
GZIP = "application/gzip"
XZ = "application/x-xz"
BZIP2 = "application/x-bzip2"
ZSTD = "application/zstd"
PGP_SIGNATURE = "application/pgp-signature"
PGP_KEYS = "application/pgp-keys"

WHOLE_NAMES = {
    "Release": TEXT,
    "InRelease": TEXT,  # clear-signed, still read as text
    "Packages": TEXT,
    "Sources": TEXT,
    "Index": TEXT,
}
# Ends of names that decide the type outright (e.g. debian-archive-keyring.gpg).
NAME_ENDINGS = {
    "keyring.gpg": PGP_KEYS,
    "keyring.asc": PGP_KEYS,
}
# Only consulted when no extension is known, so Contents-amd64.gz stays gzip.
TEXT_PREFIXES = ("Contents-", "Translation-", "Components-")

EXTENSIONS = {
    ".deb": "application/vnd.debian.binary-package",
    ".udeb": "application/vnd.debian.binary-package",
    ".ddeb": "application/vnd.debian.binary-package",
    ".dsc": "text/prs.lines.tag",
    ".changes": "text/plain; charset=utf-8",
    ".buildinfo": "text/plain; charset=utf-8",
    ".sig": PGP_SIGNATURE,
    ".asc": PGP_SIGNATURE,
    ".gpg": PGP_SIGNATURE,
    ".gz": GZIP,
    ".tgz": GZIP,
    ".xz": XZ,
    ".txz": XZ,
    ".bz2": BZIP2,
    ".zst": ZSTD,
    ".tar": "application/x-tar",
    ".tar.gz": GZIP,
    ".tar.xz": XZ,
    ".tar.bz2": BZIP2,
    ".tar.zst": ZSTD,
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    # Chromium shows application/atom+xml as plain text and applies no stylesheet; as XML the
    # feed's <?xml-stylesheet?> (/-/static/feed.xsl) makes it readable. Feed readers read both.
    ".atom": "application/xml",
    ".xsl": "application/xslt+xml",
    ".xml": "application/xml",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/vnd.microsoft.icon",
    ".txt": TEXT,
    ".md": TEXT,  # shown in the browser; text/markdown would be downloaded
    ".sha256": TEXT,
    ".sha512": TEXT,
    ".diff": "text/x-diff",
    ".patch": "text/x-diff",
    ".iso": "application/x-iso9660-image",
    ".img": DEFAULT,  # raw disk image: a download, nothing to display
    ".pdf": "application/pdf",
}


def media_type(name: str) -> str:
    """The Content-Type for a file name (a path is cut to its last segment)."""
    name = name.rpartition("/")[2]
    if name in WHOLE_NAMES:
        return WHOLE_NAMES[name]
    lowered = name.lower()
    for ending, media in NAME_ENDINGS.items():
        if lowered.endswith(ending):
            return media
    # Longest compound extension first: each dot from the left starts a candidate.
    start = lowered.find(".")
    while start >= 0:
        media = EXTENSIONS.get(lowered[start:])
        if media is not None:
            return media
        start = lowered.find(".", start + 1)
    if "." not in name or name.startswith(TEXT_PREFIXES):
        return TEXT  # APT indices and trace files (e.g. "debian", "Contents-amd64")
    return DEFAULT
