"""/-/static/NAME: snapfront's own assets, beside no mount.

Two kinds of name, one level deep, no directory page:
- `snapfront.css`, `feed.xsl`: the files of site/static/ as they are, a files-like mount over
  `Rules.static` (opened like any data file, confined to that directory), the files class;
- `snapfront.3f2a9c0d1e4b5a67.css`: a *fingerprinted* copy the generator writes into the
  output (`ASSET_DIR`, beside the pages, precompressed like them). Its name changes with its
  bytes, so it is cached for good (the immutable class) and pages link it instead of inlining
  the stylesheet. Only a name of that shape reaches the output; one that was never written
  (or an old fingerprint pruned by the last full build) is 404.
"""

from __future__ import annotations

import hashlib
import re

from .context import Redirect, Resolution, Rules
from .model import CacheClass, Miss, MissReason, Mount, MountKind, Source, Target

STATIC_URL = "/-/static/"
STATIC_SEGMENT = "static"
STATIC_CACHE = CacheClass.FILES
"""Changes only with snapfront itself: a day's lifetime, revalidated by ETag after that."""
FINGERPRINT_CACHE = CacheClass.IMMUTABLE
"""A fingerprinted name never names other bytes: a year, never revalidated."""
ASSET_DIR = STATIC_URL.strip("/")
"""Where fingerprinted copies live, relative to the output (it mirrors the URL space)."""
FINGERPRINT_HEX = 16
FINGERPRINTED = re.compile(rf"^[A-Za-z0-9_-]+\.[0-9a-f]{{{FINGERPRINT_HEX}}}\.[a-z0-9]+$")
"""STEM.HEX.EXT: what `fingerprinted` makes (and nothing else: no dot in the stem)."""


def is_static(raw: str) -> bool:
    """True for request paths resolve() answers as static ones (/-/static and below)."""
    return raw == STATIC_URL[:-1] or raw.startswith(STATIC_URL)


def fingerprinted(name: str, data: bytes) -> str:
    """`snapfront.css` with these bytes -> `snapfront.<first 16 hex of sha256>.css`: a name
    that depends on the content only, so replicas and rebuilds agree."""
    stem, dot, ext = name.partition(".")
    digest = hashlib.sha256(data).hexdigest()[:FINGERPRINT_HEX]
    found = f"{stem}.{digest}{dot}{ext}"
    if not FINGERPRINTED.match(found):
        raise ValueError(f"{name!r} cannot be fingerprinted (STEM.EXT, no other dot)")
    return found


def static_mount(rules: Rules) -> Mount:
    return Mount(STATIC_URL, MountKind.FILES, rules.static, trace="")


def resolve_static(rules: Rules, rest: tuple[str, ...], trailing: bool) -> Resolution:
    """What /-/static/ + REST names: a file of site/static/, a fingerprinted copy in the
    output, the redirect of /-/static, or 404."""
    if not rules.static:
        return Miss(MissReason.NOT_FOUND, "reserved for snapfront's own endpoints")
    mount = static_mount(rules)
    if not rest and not trailing:
        return Redirect(STATIC_URL)
    if trailing or len(rest) != 1:
        return Miss(MissReason.NOT_FOUND, "no such static file")
    if FINGERPRINTED.match(rest[0]):
        copy = Source(rules.output, f"{ASSET_DIR}/{rest[0]}", generated=True)
        return Target(mount, (copy,), FINGERPRINT_CACHE)
    return Target(mount, (Source(rules.static, rest[0], confined=True),), STATIC_CACHE)
