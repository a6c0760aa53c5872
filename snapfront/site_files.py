"""Where snapfront's own site files live: templates for the generator, static assets for the
server's `/-/static/` (DESIGN: reserved URL space). Both find them the same way."""

from __future__ import annotations

import importlib.resources
import os
from pathlib import Path

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
