"""Render one pool page when a serving worker is asked for it and its files are missing.

The server knows nothing of pages: the CLI hands it `PageRenderer` (a callable), which it calls
in its executor when a generated page's files are missing. The page goes through the very path
a build takes (the kind's producer → Linker → generator.output_files → Writer: atomic, with its
.br/.gz), so its bytes, and so its ETag, are those an eager build writes, in every worker and
after every restart. Two workers rendering it at once write the same bytes; each rename is
atomic. Then the page is recorded as kept (generator.kept), and from then on kept current by
the watcher and `snapfront build` (generator.pool_pages).
"""

from __future__ import annotations

import logging
import os
import posixpath
import threading
import time
from urllib.parse import unquote

from snapfront import __version__
from snapfront.base.config import Config
from snapfront.basedir.inventory import read_inventory
from snapfront.rewrite_rules import Archive, Mount, Rules
from snapfront.rewrite_rules.names import PAGE_FILES

from . import basedir_pages, snapshot_pages
from .front import Linker
from .hashes import HashCache
from .kept import KeptPage, KeptPages, stamp_of
from .memo import template_salt
from .model import Page, expiring_within
from .output_files import write_output
from .pages import Site
from .plan import Part, PartKind, page_url
from .pool_pages import page_files, reachable
from .render import compile_templates
from .write import Writer

log = logging.getLogger("snapfront")

_PRODUCERS = {
    "snapshots": snapshot_pages.outputs,
    "repository": basedir_pages.repository_outputs,
    "tagged": basedir_pages.tagged_outputs,
}


class PageRenderer:
    """`render(config, mount, relpath)`: relpath is the missing file, relative to the output
    ("debian/pool/main/h/hello/index.html", decoded); True once the page's files exist.
    False (nothing written) for anything but a reachable pool directory in lazy mode."""

    def __init__(self, config: Config | None = None) -> None:
        """With `config`, what a first render needs is ready before `serve` forks workers
        (every template compiled, the codenames read), so no first request waits for it."""
        self._lock = threading.Lock()
        self._config: Config | None = None
        self._linker: Linker | None = None
        self._kept: KeptPages | None = None
        self._releases: dict = {}
        if config is not None and config.pages.lazy_pool:
            compile_templates()
            template_salt()
            self._for(config)

    def __call__(self, config: Config, mount: Mount, relpath: str) -> bool:
        if not config.pages.lazy_pool:
            return False
        folder, name = posixpath.split(relpath)
        if name not in PAGE_FILES or mount.kind.value not in _PRODUCERS:
            return False
        top = unquote(mount.url).strip("/")
        if top and not (folder == top or folder.startswith(top + "/")):
            return False
        rel = folder[len(top) :].strip("/")
        if not reachable(mount, rel):
            return False
        linker, kept = self._for(config)
        url = page_url(mount, rel)
        stamp = stamp_of(os.path.join(mount.root, rel), template_salt())  # before reading it
        if stamp is None:
            return False
        site = Site(
            config.public_url, time.time(), HashCache(config.output), __version__,
            releases=self._releases, expiring_within=expiring_within(config.health.min_valid_for),
        )  # fmt: skip
        part = Part(PartKind.PAGE, rel, url)
        made = _PRODUCERS[mount.kind.value](mount, Archive(), site, part)
        pages = [o for o in made if o.url == url]
        if len(pages) != 1 or not isinstance(pages[0], Page):
            return False
        write_output(Writer(config.output), linker.finish(pages[0]))
        kept.record([KeptPage(url, mount.url, rel, stamp)])
        return all(os.path.exists(os.path.join(config.output, p)) for p in page_files(url))

    def _for(self, config: Config) -> tuple[Linker, KeptPages]:
        """The Linker and record for this config (SIGHUP may bring another)."""
        with self._lock:
            if self._config is not config or self._linker is None or self._kept is None:
                archives = read_inventory(config.mounts)
                self._linker = Linker(Rules(config.mounts, config.output, archives))
                if self._kept is not None:
                    self._kept.close()
                self._kept = KeptPages(config.output)
                self._config = config
            return self._linker, self._kept
