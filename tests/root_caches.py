"""The roots cache (tests/debroot.py) for tests that run inside a root: bound at the same path
in there, so a test that makes a root of its own (test_trafficserver on Debian 13) finds the
day's roots; with $SNAPFRONT_ROOT_CACHE empty, none inside either."""

from __future__ import annotations

from pathlib import Path

from tests import debroot

INSIDE_CACHE = "/var/cache/snapfront-ci"


def roots_cache_binds() -> dict[Path, str]:
    """The host's roots cache, to bind at the same path inside a root: tests run in there
    (test_trafficserver on Debian 13 makes a Debian 12 root) find the day's roots."""
    cache = debroot.cache_dir()
    return {cache: INSIDE_CACHE} if cache else {}


def inside_env() -> dict[str, str]:
    """$SNAPFRONT_ROOT_CACHE for tests run inside a root: the bound cache, or none."""
    return {"SNAPFRONT_ROOT_CACHE": INSIDE_CACHE if debroot.cache_dir() else ""}
