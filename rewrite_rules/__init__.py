"""URL → file mapping for every mount kind: pure data and functions, no I/O."""

from .model import Archive, CacheClass, Miss, MissReason, Mount, MountKind, Source, Target
from .policy import DEFAULT_CACHE_CONTROL, cache_policy
from .resolve import Redirect, Resolution, Rules, resolve

__all__ = [
    "DEFAULT_CACHE_CONTROL",
    "Archive",
    "CacheClass",
    "Miss",
    "MissReason",
    "Mount",
    "MountKind",
    "Redirect",
    "Resolution",
    "Rules",
    "Source",
    "Target",
    "cache_policy",
    "resolve",
]
