"""Cache lifetimes per class of file, decided once, as data (docs/urls.md: cache classes).

The strings are written for the two caches that matter: the client (APT, a browser) and the
shared cache in front (Varnish, Apache Traffic Server):
- `max-age` is always present: Traffic Server stores nothing without it (or `Expires`).
- `s-maxage` only where snapfront purges on change and a stale copy is harmless: pages and
  traces (volatile). A repository's dists/ files get none: without purging, every second of
  shared lifetime widens the window in which a cache pairs a new InRelease with an old Packages.
- `stale-while-revalidate` (Varnish grace) only on volatile files, never on signed metadata:
  serving a stale InRelease beside a fresh Packages is the Hash Sum mismatch itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote

from .model import CacheClass

DEFAULT_CACHE_CONTROL: Mapping[CacheClass, str] = {
    CacheClass.IMMUTABLE: "public, max-age=31536000, immutable",
    CacheClass.SIGNED_METADATA: "public, max-age=120",
    CacheClass.VOLATILE: "public, max-age=10, s-maxage=60, stale-while-revalidate=30",
    CacheClass.FILES: "public, max-age=86400",
    # A 404 for an InRelease that reprepro is about to write must not be kept by anyone.
    CacheClass.ERROR: "no-store",
}

_MAX_AGE = re.compile(r"(?:^|,)\s*max-age=\d+\s*(?:,|$)", re.IGNORECASE)
_NO_STORE = re.compile(r"(?:^|,)\s*no-store\s*(?:,|$)", re.IGNORECASE)
_STALE = re.compile(r"(?:^|,)\s*stale-while-revalidate\b", re.IGNORECASE)


def cache_control_problem(cls: CacheClass, value: str) -> str | None:
    """Why `value` is unsafe for `cls` as a `[cache]` setting, or None when it is fine."""
    if cls is CacheClass.ERROR or _NO_STORE.search(value):
        return None
    if not _MAX_AGE.search(value):
        return "must contain max-age=SECONDS (Traffic Server caches nothing without it)"
    if cls is CacheClass.SIGNED_METADATA and _STALE.search(value):
        return "must not allow stale-while-revalidate: a stale InRelease fails as Hash Sum mismatch"
    return None


def cache_policy(overrides: Mapping[str, str] | None = None) -> dict[CacheClass, str]:
    """The defaults with `[cache]` overrides applied (keys are class names, already validated)."""
    policy = dict(DEFAULT_CACHE_CONTROL)
    for name, value in (overrides or {}).items():
        policy[CacheClass(name)] = value
    return policy


SURROGATE_KEY = "Surrogate-Key"


def surrogate_key(mount_url: str, cls: CacheClass) -> str:
    """Space-separated keys a cache can purge by: everything of snapfront, of one mount, of one
    class (Fastly's Surrogate-Key; Varnish's xkey reads the same list)."""
    return f"snapfront mount:{quote(mount_url, safe='/')} class:{cls.value}"
