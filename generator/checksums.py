"""SHA256SUMS of a files mount's directories: the file `sha256sum -c` reads in a download.

Every directory that holds files gets one, written beside its page (generator.build) and made
from the same scan, so it lists what the page lists: uploads still being written (held back,
see pages.Site) and whatever scan refuses (FIFOs, links out of the root, hidden names) are
never in it. Left out as well:
- SHA256SUMS.sig/.asc/.gpg: a signature of the sums cannot be among them (listing it would
  change the very bytes it signs); the page links it beside SHA256SUMS instead;
- index.html, index.json, feed.atom under the root: their URLs serve the generated pages;
- names no URL can name (a control character such as a newline, a backslash, bytes that are
  not UTF-8: rewrite_rules.paths refuses them). A download never holds such a file, and
  `sha256sum -c` would report it missing; so GNU's escaped lines (`\\HASH  a\\nb`) never occur.
A release manager's own SHA256SUMS in the directory wins: the URL serves it from the root,
the page links it, and no generated one is written.
"""

from __future__ import annotations

import os
from urllib.parse import quote

from snapfront.rewrite_rules import Mount
from snapfront.rewrite_rules.resolve import CHECKSUMS, CHECKSUMS_SIGNATURES, GENERATED_NAMES

from .model import Checksums, Link, Page
from .pages import Site


def nameable(name: str) -> bool:
    """Whether some URL can name a file called `name` (rewrite_rules.paths.split_path)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # os.scandir's surrogate escapes: bytes that are not UTF-8
        return False
    return "\\" not in name and not any(ord(c) < 0x20 or c == "\x7f" for c in name)


def checksums(site: Site, mount: Mount, folder: str) -> Checksums | None:
    """The SHA256SUMS the page of `folder` links: the root's own, else one made from the
    directory's listed files; None when it holds no file to list (or a directory has the name)."""
    entries = site.scan(folder, mount, cached=True)  # the page's own scan, just made
    files = {e.name: e for e in entries if not e.is_dir}
    signatures = tuple(
        Link(name.rpartition(".")[2], quote(name))
        for name in sorted(CHECKSUMS_SIGNATURES)
        if name in files
    )
    if CHECKSUMS in files:
        return Checksums(CHECKSUMS, False, (), signatures)
    if any(e.name == CHECKSUMS for e in entries):
        return None  # a directory called SHA256SUMS: its pages live at that path
    sums = []
    for name in sorted(files):
        if name in GENERATED_NAMES or name in CHECKSUMS_SIGNATURES or not nameable(name):
            continue
        entry = files[name]
        path = os.path.join(folder, name)
        digest = site.hashes.sha256(mount, path, entry.size, entry.mtime_ns)
        if digest is not None:  # gone, or no longer servable, since the scan
            sums.append((digest, name))
    return Checksums(CHECKSUMS, True, tuple(sums), signatures) if sums else None


def generated_sums(page: Page) -> list[str]:
    """The text of the SHA256SUMS the generator writes beside `page`, if any, in GNU
    coreutils' format: the hex digest, two spaces (text mode), the name."""
    found = page.checksums
    if found is None or not found.generated:
        return []
    return ["".join(f"{digest}  {name}\n" for digest, name in found.sums)]
