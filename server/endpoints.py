"""snapfront's own URL space, `/-/`, answered before any mount (docs/urls.md: the reserved space).

`/-/healthy` and `/-/ready` answer everyone (probes of CDNs and DNS discovery);
`/-/status.json` and `/-/metrics` only `[metrics] allow` networks. Nothing here is cacheable,
and every answer names this host's role in `X-Snapfront-Role` (never in pages or files:
their bytes and ETags must agree across replicas). Facts are gathered off the event loop
and kept FACTS_SECONDS, so probes from many places cost one gather a second per worker.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable

from aiohttp import web

from snapfront import __version__
from snapfront.base.ops_config import allowed
from snapfront.health.facts import FACTS_SECONDS, Gatherer
from snapfront.health.model import RETRY_AFTER, Facts, Readiness, decide
from snapfront.health.status import status_document

from .origin import Origin

ROLE_HEADER = "X-Snapfront-Role"
NO_STORE = "no-store"


class Endpoints:
    def __init__(
        self,
        origin: Origin,
        watching: bool,
        supervisor: int | None = None,
        metered: bool = False,
        before_scrape: Callable[[], None] | None = None,
    ) -> None:
        self.origin = origin
        self.gatherer = Gatherer(origin.config, watching)
        self.supervisor = supervisor
        self.metered = metered
        self.before_scrape = before_scrape  # callable: fold this worker's counts first
        self._facts: Facts | None = None
        self._at = float("-inf")
        self._lock = asyncio.Lock()
        self._routes = {
            "/-/healthy": self.healthy,
            "/-/ready": self.ready,
            "/-/status.json": self.status,
            "/-/metrics": self.metrics,
        }

    async def answer(self, request: web.BaseRequest, raw: str) -> web.StreamResponse:
        route = self._routes.get(raw)
        if route is None:
            return self._text(404, "not found\n", role=None)
        return await route(request)

    async def facts(self) -> Facts:
        if time.monotonic() - self._at < FACTS_SECONDS and self._facts is not None:
            return self._facts
        async with self._lock:
            if time.monotonic() - self._at >= FACTS_SECONDS or self._facts is None:
                self.gatherer.config = self.origin.config  # SIGHUP swaps it
                loop = asyncio.get_running_loop()
                self._facts = await loop.run_in_executor(None, self.gatherer.gather)
                self._at = time.monotonic()
        return self._facts

    def readiness(self, facts: Facts) -> Readiness:
        return decide(facts, self.origin.config.health)

    async def healthy(self, request: web.BaseRequest) -> web.StreamResponse:
        return self._text(200, "healthy\n", role=None)

    async def ready(self, request: web.BaseRequest) -> web.StreamResponse:
        readiness = self.readiness(await self.facts())
        headers = {} if readiness.ready else {"Retry-After": str(RETRY_AFTER)}
        return self._text(readiness.status, readiness.body(), readiness.role, headers)

    async def status(self, request: web.BaseRequest) -> web.StreamResponse:
        if not allowed(self.origin.config.metrics.allow, request.remote):
            return self._text(403, "forbidden\n", role=None)
        facts = await self.facts()
        document = status_document(facts, self.readiness(facts), __version__, self.workers())
        body = json.dumps(document, indent=1, sort_keys=True) + "\n"
        return self._response(200, body.encode(), "application/json", facts.role)

    async def metrics(self, request: web.BaseRequest) -> web.StreamResponse:
        if not allowed(self.origin.config.metrics.allow, request.remote):
            return self._text(403, "forbidden\n", role=None)
        if not self.metered:
            return self._text(404, "metrics are collected under `snapfront serve` only\n", None)
        from snapfront.metrics.collector import FactsCollector
        from snapfront.metrics.exposition import CONTENT_TYPE, exposition

        if self.before_scrape is not None:
            self.before_scrape()
        facts = await self.facts()
        workers = self.origin.config.worker_count()
        mounts = self.origin.config.mounts
        collector = FactsCollector(facts, self.readiness(facts), __version__, workers, mounts)
        body = await asyncio.get_running_loop().run_in_executor(None, exposition, collector)
        return self._response(200, body, CONTENT_TYPE, facts.role)

    def workers(self) -> dict[str, object]:
        """How many serve, and their pids (the supervisor's children, less the watcher's keeper)."""
        found: dict[str, object] = {
            "count": self.origin.config.worker_count(),
            "this": os.getpid(),
            "supervisor": self.supervisor,
        }
        pids = [os.getpid()]
        if self.supervisor is not None:
            state = self._facts.watcher.state if self._facts else None
            try:
                path = f"/proc/{self.supervisor}/task/{self.supervisor}/children"
                with open(path) as fh:
                    pids = sorted(int(p) for p in fh.read().split())
            except OSError:
                pass
            if state is not None:  # the watcher, and its keeper (the supervisor's child)
                watcher = {state.pid, _parent(state.pid)}
                pids = [p for p in pids if p not in watcher]
        found["pids"] = pids
        return found

    def _text(
        self, status: int, text: str, role: str | None, headers: dict[str, str] | None = None
    ) -> web.Response:
        return self._response(status, text.encode(), "text/plain; charset=utf-8", role, headers)

    def _response(
        self,
        status: int,
        body: bytes,
        content_type: str,
        role: str | None,
        headers: dict[str, str] | None = None,
    ) -> web.Response:
        headers = {"Content-Type": content_type, "Cache-Control": NO_STORE, **(headers or {})}
        if role is None and self._facts is not None:
            role = self._facts.role
        if role is not None:
            headers[ROLE_HEADER] = role
        return web.Response(status=status, body=body, headers=headers)


def _parent(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return int(fh.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None
