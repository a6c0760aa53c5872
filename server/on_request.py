"""Pages rendered on request: when a generated page's files are missing, ask the renderer the
CLI wired in (generator.on_request; the server never imports the generator) to write them.

It runs in the executor, off the event loop; at most RENDERS at once per worker, so a crawler
cannot occupy every executor thread, and one render per page however many requests wait for
it. The renderer decides what may be rendered (a reachable pool directory, in lazy mode) and
writes nothing otherwise: the request is then the 404 it always was.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from snapfront.base.config import Config
from snapfront.rewrite_rules import Mount, Target
from snapfront.rewrite_rules.names import PAGE_FILES, POOL_AT

log = logging.getLogger("snapfront")

Renderer = Callable[[Config, Mount, str], bool]
"""render(config, mount, missing file relative to the output) -> whether it now exists."""
RENDERS = 2


class OnRequest:
    def __init__(self, render: Renderer) -> None:
        self.render = render
        self._slots = asyncio.Semaphore(RENDERS)
        self._running: dict[str, asyncio.Future[bool]] = {}

    async def page(self, config: Config, target: Target) -> bool:
        """Render the page `target` names if it may be; True when its files now exist."""
        if not config.pages.lazy_pool or target.mount.kind not in POOL_AT:
            return False  # nothing to render: no executor trip for an ordinary 404
        source = target.sources[0]
        if not source.generated or source.relpath.rsplit("/", 1)[-1] not in PAGE_FILES:
            return False
        folder = source.relpath.rsplit("/", 1)[0]
        running = self._running.get(folder)
        if running is not None:
            try:
                return await asyncio.shield(running)
            except asyncio.CancelledError:
                if running.cancelled():  # the first request went away: this one answers 404
                    return False
                raise
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._running[folder] = future
        try:
            async with self._slots:
                loop = asyncio.get_running_loop()
                done = await loop.run_in_executor(
                    None, self._render, config, target.mount, source.relpath
                )
            future.set_result(done)
            return done
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: nobody else may be waiting
            raise
        finally:
            del self._running[folder]

    def _render(self, config: Config, mount: Mount, relpath: str) -> bool:
        try:
            return self.render(config, mount, relpath)
        except Exception:  # a page is a convenience: the request is a 404, the worker lives
            log.exception("rendering the page of /%s on request failed", relpath)
            return False
