"""A worker's connection budget (`[server] max_connections`): who goes when it runs low.

An open connection costs this process one descriptor and 6 to 10 KiB (measured with 4,000
silent, half-sent and idle keep-alive connections: 5.8, 6.2 and 10.1 KiB of RSS each), so a
worker holds thousands. What it must not do is let the clients that send nothing lock out
those that send a request: once the last RESERVE of the budget is in use, each new connection
first closes the connections that have waited longest without a complete request head
(silent since accept, a head half-sent, idle kept-alive since their last response); nginx
closes its silent and idle ones likewise, but not half-sent heads. Connections being answered
(in a handler, or a response still leaving) are never closed for room; only when every open
connection is one of them is the newcomer refused (protocol.py answers it 503).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

RESERVE = 0.1
"""The share of the budget kept free: above the rest, each accept closes a waiting connection."""
EVICT_PER_ACCEPT = 2
"""At most this many closes per accept (cheap each time); more than one drains the count back
below the reserve when busy connections went waiting all at once."""
REPORT_SECONDS = 10.0
"""A flood closes a connection per accept: the log says so once, then sums up at this pace."""

log = logging.getLogger("snapfront")


class Evictable(Protocol):
    def evict(self) -> None:
        """Close now; the budget has already counted the connection out."""


def low_water(limit: int) -> int:
    """Open connections from which a newcomer makes room first."""
    return limit - max(1, int(limit * RESERVE))


def plan(open_now: int, limit: int, waiting: int) -> tuple[int, bool]:
    """For a new connection: (how many waiting connections to close, whether it is admitted)."""
    over = open_now + 1 - low_water(limit)
    evict = max(0, min(over, waiting, EVICT_PER_ACCEPT))
    return evict, open_now - evict < limit


class Budget:
    """The open connections of one worker, and those waiting for a request head, oldest first.

    An OrderedDict keyed by connection, in the order they started waiting (accept, or the end
    of their last response): adding, removing and taking the oldest are all O(1)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.open = 0
        self.evicted = 0
        self.refused = 0
        self.limit = 0
        self.shortest_wait: float | None = None
        """The least time a connection closed for room had waited, since the last report."""
        self._waiting: OrderedDict[Evictable, float] = OrderedDict()
        self._clock = clock
        self.on_event: Callable[[], None] = lambda: None
        """Called after each eviction or refusal (Report rate-limits what it logs)."""

    def admit(self, conn: Evictable, limit: int) -> bool:
        """A new connection: make room if the budget runs low; False: refuse it."""
        self.limit = limit
        evict, admitted = plan(self.open, limit, len(self._waiting))
        for _ in range(evict):
            victim, since = self._waiting.popitem(last=False)
            waited = self._clock() - since
            if self.shortest_wait is None or waited < self.shortest_wait:
                self.shortest_wait = waited
            self.open -= 1
            self.evicted += 1
            victim.evict()
        if admitted:
            self.open += 1
            self.waiting(conn)
        else:
            self.refused += 1
        if evict or not admitted:
            self.on_event()
        return admitted

    def waiting(self, conn: Evictable) -> None:
        """`conn` has no complete request head now (accepted, or its response is done)."""
        self._waiting.pop(conn, None)
        self._waiting[conn] = self._clock()

    def serving(self, conn: Evictable) -> None:
        """`conn` completed a request head: it is not closed for room until it waits again."""
        self._waiting.pop(conn, None)

    def closed(self, conn: Evictable) -> None:
        """`conn` went (not by eviction, which counted it out already)."""
        self._waiting.pop(conn, None)
        self.open -= 1


class Report:
    """The log line about evictions and refusals: at once for the first, then at most one per
    REPORT_SECONDS while they go on (not one per connection, which a flood would make)."""

    def __init__(
        self, budget: Budget, call_later: Callable[[float, Callable[[], None]], object]
    ) -> None:
        self._budget = budget
        self._call_later = call_later
        self._said = (0, 0)  # evicted, refused at the last line
        self._armed = False
        budget.on_event = self._event

    def _event(self) -> None:
        if not self._armed:
            self._say()

    def _say(self) -> None:
        budget = self._budget
        evicted, refused = budget.evicted - self._said[0], budget.refused - self._said[1]
        self._armed = bool(evicted or refused)
        if not self._armed:
            return
        self._said = (budget.evicted, budget.refused)
        waited = budget.shortest_wait
        budget.shortest_wait = None
        shortest = f" (shortest wait {waited:.3g} s)" if waited is not None else ""
        log.warning(
            "max_connections = %d running low: closed %d connection(s) waiting longest for a "
            "request head%s, refused %d (all connections busy); at most one such line every %g s",
            budget.limit, evicted, shortest, refused, REPORT_SECONDS,
        )  # fmt: skip
        self._call_later(REPORT_SECONDS, self._say)
