"""/-/static/NAME: snapfront's own assets (site/static/, e.g. feed.xsl), beside no mount.

One level of plain names, no directory page: a files-like mount over `Rules.static`, so the
server opens them like any data file (confined to that directory) and the exports route them.
"""

from __future__ import annotations

from .context import Redirect, Resolution, Rules
from .model import CacheClass, Miss, MissReason, Mount, MountKind, Source, Target

STATIC_URL = "/-/static/"
STATIC_SEGMENT = "static"
STATIC_CACHE = CacheClass.FILES
"""Changes only with snapfront itself: a day's lifetime, revalidated by ETag after that."""


def is_static(raw: str) -> bool:
    """True for request paths resolve() answers as static ones (/-/static and below)."""
    return raw == STATIC_URL[:-1] or raw.startswith(STATIC_URL)


def static_mount(rules: Rules) -> Mount:
    return Mount(STATIC_URL, MountKind.FILES, rules.static, trace="")


def resolve_static(rules: Rules, rest: tuple[str, ...], trailing: bool) -> Resolution:
    """What /-/static/ + REST names: a file of site/static/, the redirect of /-/static, or 404."""
    if not rules.static:
        return Miss(MissReason.NOT_FOUND, "reserved for snapfront's own endpoints")
    mount = static_mount(rules)
    if not rest and not trailing:
        return Redirect(STATIC_URL)
    if trailing or len(rest) != 1:
        return Miss(MissReason.NOT_FOUND, "no such static file")
    return Target(mount, (Source(rules.static, rest[0], confined=True),), STATIC_CACHE)
