"""Cache lifetimes per class of file, decided once, as data (DESIGN: Cache classes)."""

from __future__ import annotations

from collections.abc import Mapping

from .model import CacheClass

DEFAULT_CACHE_CONTROL: Mapping[CacheClass, str] = {
    CacheClass.IMMUTABLE: "public, max-age=31536000, immutable",
    CacheClass.SIGNED_METADATA: "public, max-age=120",
    CacheClass.VOLATILE: "public, max-age=10, stale-while-revalidate=30",
    CacheClass.FILES: "public, max-age=86400",
    # A 404 for an InRelease that reprepro is about to write must not be kept by anyone.
    CacheClass.ERROR: "no-store",
}


def cache_policy(overrides: Mapping[str, str] | None = None) -> dict[CacheClass, str]:
    """The defaults with `[cache]` overrides applied (keys are class names, already validated)."""
    policy = dict(DEFAULT_CACHE_CONTROL)
    for name, value in (overrides or {}).items():
        policy[CacheClass(name)] = value
    return policy
