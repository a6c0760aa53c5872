"""The stylesheet and the listing script, linked by every page instead of inlined into it.

Each is written under output/-/static/ (rewrite_rules.static.ASSET_DIR) with its content's
fingerprint in its name (`snapfront.3f2a9c0d1e4b5a67.css`), precompressed like a page, and
served immutable: a browser fetches it once for the whole site, and a page carries ~13 KB
less. The names are computed once per process from site/static/; the bytes alone decide
them, so replicas agree and a template edit that leaves the CSS alone keeps its URL.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

from snapfront.base.site_files import fingerprinted_name, site_dir
from snapfront.rewrite_rules.static import ASSET_DIR, STATIC_URL

from .write import Writer

LINKED = ("snapfront.css", "listing.js")
"""site/static/ files that pages link by fingerprint (feed.xsl keeps its plain name: a feed
reader's cached feed names it)."""


@dataclass(frozen=True)
class Asset:
    name: str  # in site/static/
    url: str  # /-/static/NAME.HEX.EXT
    relpath: str  # the same, relative to the output directory
    data: bytes


@functools.cache
def assets() -> dict[str, Asset]:
    """site/static/ name → its fingerprinted Asset, read once."""
    found = {}
    for name in LINKED:
        data = (site_dir() / "static" / name).read_bytes()
        copy = fingerprinted_name(name)
        found[name] = Asset(name, STATIC_URL + copy, f"{ASSET_DIR}/{copy}", data)
    return found


def write_assets(writer: Writer) -> list[str]:
    """Write every asset, precompressed whatever its size (one file, fetched by every new
    visitor; unchanged bytes are left alone), and remove what else lies in the
    asset directory (an earlier snapfront's fingerprints and their variants): the paths
    written or removed, relative to the output."""
    changed = [a.relpath for a in assets().values() if writer.write(a.relpath, a.data, min_size=0)]
    folder = os.path.join(writer.output, ASSET_DIR)
    for name in sorted(os.listdir(folder)):
        relpath = f"{ASSET_DIR}/{name}"
        if not name.startswith(".") and writer.discard(relpath):
            changed.append(relpath)
    return changed
