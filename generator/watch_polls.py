"""What the watcher polls for, beside the events watchdog reports: what inotify cannot see.

Kept pool pages (lazy mode): their pool directories are not watched, so those of the kept
pages are stat'ed every KEPT_SECONDS (generator.pool_pages.KeptPoll). The intent records of
snapshots and repository mounts, once a second (generator.intents). Uploads heard in a
repository mount's incoming/, once it has been quiet (generator.uploads_watch). And on a
passive host with [replication], whether a `snapfront replicate` run is due
(generator.replicating), asked in the same second as the role it depends on.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from snapfront.base.config import Config
from snapfront.health.facts import role

from .build import Builder
from .intents import POLL_SECONDS as INTENT_SECONDS
from .intents import IntentPoll
from .memo import template_salt
from .pool_pages import KeptPoll
from .replicating import ReplicationTimer
from .uploads_watch import IncomingPoll

KEPT_SECONDS = 1.0
"""How often the directories of kept pool pages of snapshots mounts are stat'ed (lazy mode):
their pool is not watched, and a `reprepro update` must show on its pages within seconds."""
KEPT_SHARE = 10
"""...or ten times as long as the last check took, when many pages are kept."""

Add = Callable[[str, bool, bool], None]
"""The watcher's batch_add(path, is_dir, structural)."""


class Polls:
    def __init__(self, builder: Builder) -> None:
        self.kept = KeptPoll(builder.kept, template_salt())
        self.intents = IntentPoll()  # a take's serial counts once its record goes
        self.replicas = ReplicationTimer()  # a passive host's `snapfront replicate` runs
        self.incoming = IncomingPoll()  # uploads in repository mounts' incoming/ (when heard)
        self._next_kept = 0.0
        self._next_intents = 0.0

    def due(self, config: Config) -> float:
        """When the next poll is due (monotonic)."""
        due = [self._next_intents, self.incoming.due() or self._next_intents]
        if config.pages.lazy_pool:
            due.append(self._next_kept)
        return min(due)

    def run(self, config: Config, now: float, add: Add) -> None:
        """The polls due at `now`; what changed goes into the watcher's batch."""
        if config.pages.lazy_pool and now >= self._next_kept:
            mounts = {m.url: m for m in config.mounts}
            for path, gone in self.kept.changed(mounts):
                add(path, True, gone)  # gone: its pages are pruned
            spent = time.monotonic() - now  # ~5 µs a kept page: at most a tenth of a core
            self._next_kept = now + max(KEPT_SECONDS, KEPT_SHARE * spent)
        if now >= self._next_intents:
            active = role(config) == "active"
            for path in self.intents.changed(config.mounts, active):
                add(path, False, True)
            self.replicas.poll(config, passive=not active)
            self._next_intents = time.monotonic() + INTENT_SECONDS
        incoming = self.incoming.due()
        if incoming is not None and time.monotonic() >= incoming:
            self.incoming.run(config.mounts, role(config) == "active")

    def rebuilt(self, builder: Builder) -> None:
        """A reload made a new builder: the kept pages are its."""
        self.kept = KeptPoll(builder.kept, template_salt())

    def stop(self) -> None:
        self.replicas.stop()
