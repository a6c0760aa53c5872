"""One HTTP PURGE request, and what its answer means for retrying. Blocking, thread-safe.

Each worker thread keeps one keep-alive connection per cache: a batch of thousands of URLs
after a snapshot is removed should not open thousands of connections.
"""

from __future__ import annotations

import http.client
import threading
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

DONE = frozenset({200, 201, 202, 204, 404})
"""Purged, or nothing was stored under that URL (Traffic Server answers 404 then)."""


class PurgeTarget(Protocol):
    purge: str


@dataclass(frozen=True)
class Outcome:
    cache: PurgeTarget
    host: str
    url: str
    ok: bool
    retry: bool = False  # a failure worth another try: no connection, a timeout, a 5xx
    problem: str = ""

    def describe(self) -> str:
        return f"PURGE {self.cache.purge.rstrip('/')}{self.url} (Host: {self.host}): {self.problem}"


class Sender:
    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._local = threading.local()

    def purge(self, cache: PurgeTarget, host: str, url: str) -> Outcome:
        parts = urlsplit(cache.purge)
        target = parts.path.rstrip("/") + url
        for fresh in (False, True):  # a kept-alive connection the cache closed: once more, anew
            reused = not fresh and self._has(parts.netloc)
            try:
                conn = self._connection(parts.scheme, parts.netloc)
                conn.request("PURGE", target, headers={"Host": host, "Content-Length": "0"})
                resp = conn.getresponse()
                resp.read()
                if resp.will_close:
                    self._drop(parts.netloc)
                break
            except (OSError, http.client.HTTPException) as exc:
                self._drop(parts.netloc)
                if not reused:
                    problem = str(exc) or type(exc).__name__
                    return Outcome(cache, host, url, ok=False, retry=True, problem=problem)
        if resp.status in DONE:
            return Outcome(cache, host, url, ok=True)
        problem = f"{resp.status} {resp.reason}"
        return Outcome(cache, host, url, ok=False, retry=resp.status >= 500, problem=problem)

    def _has(self, netloc: str) -> bool:
        return netloc in self._local.__dict__.get("conns", {})

    def _connection(self, scheme: str, netloc: str) -> http.client.HTTPConnection:
        conns = self._local.__dict__.setdefault("conns", {})
        conn = conns.get(netloc)
        if conn is None:
            kind = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
            conn = conns[netloc] = kind(netloc, timeout=self.timeout)
        return conn

    def _drop(self, netloc: str) -> None:
        conn = self._local.__dict__.get("conns", {}).pop(netloc, None)
        if conn is not None:
            conn.close()
