"""Where snapfront's own site files live: templates for the generator, static assets for the
server's `/-/static/` (docs/urls.md: the reserved space). Both find them the same way, and both
name a linked asset by its fingerprint the same way (the pages, and the server's error pages)."""

from __future__ import annotations

import functools
import importlib.resources
import os
from pathlib import Path

from snapfront.rewrite_rules.static import STATIC_URL, fingerprinted

PAGE_TEMPLATE = "templates/page.html"
STATIC = "static"


def site_dir() -> Path:
    """The `site/` data folder: inside the installed wheel, else the checkout's top level."""
    try:
        installed = importlib.resources.files("snapfront") / "site"
    except ModuleNotFoundError:
        installed = None
    if isinstance(installed, Path) and (installed / PAGE_TEMPLATE).is_file():
        return installed
    return Path(__file__).resolve().parent.parent / "site"


def static_dir() -> str:
    """site/static/, resolved (no symlink on the way: exported configs follow none)."""
    return os.path.realpath(site_dir() / STATIC)


@functools.cache
def fingerprinted_name(name: str) -> str:
    """site/static/NAME as pages link it: `snapfront.<hex of its bytes>.css` (read once)."""
    return fingerprinted(name, (site_dir() / STATIC / name).read_bytes())


def asset_url(name: str) -> str:
    """/-/static/ + the fingerprinted name: where the output serves the copy the build wrote."""
    return STATIC_URL + fingerprinted_name(name)
