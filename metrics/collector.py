"""Scrape-time metrics from the facts readiness is decided on (health.facts).

Every serving process reads the same disk and the same watcher file, so the process that
answers a scrape reports them from its own (at most FACTS_SECONDS old) facts: no gauge files,
nothing stale left behind by a worker that died. Timestamps and seconds-left both, so an
alert fires *before* APT says "expired" (`snapfront_snapshot_valid_remaining_seconds < 2*86400`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from snapfront.health.model import Facts, Readiness, serial_lag
from snapfront.rewrite_rules import Mount, MountKind
from snapfront.suites import upload_tally


class FactsCollector(Collector):
    def __init__(
        self,
        facts: Facts,
        readiness: Readiness,
        version: str,
        workers: int,
        mounts: Sequence[Mount] = (),
    ) -> None:
        self.facts = facts
        self.readiness = readiness
        self.version = version
        self.workers = workers
        self.mounts = mounts  # the repository mounts' uploads are counted

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        facts = self.facts
        info = GaugeMetricFamily(
            "snapfront_info", "Version and role (value 1).", labels=["version", "role"]
        )
        info.add_metric([self.version, facts.role], 1)
        yield info
        yield _gauge("snapfront_passive", "1 while this host is passive.", facts.role == "passive")
        yield _gauge("snapfront_ready", "1 while /-/ready answers 200.", self.readiness.ready)
        yield _gauge("snapfront_workers", "Serving processes configured.", self.workers)
        yield from self._newest()
        yield from self._snapshots()
        yield from self._watcher()
        yield from self._uploads()
        yield from self._replication()
        free = GaugeMetricFamily(
            "snapfront_disk_free_bytes", "Bytes available on the output's and roots' filesystems.",
            labels=["path"],
        )  # fmt: skip
        for path, count in facts.free:
            free.add_metric([path], count)
        yield free

    def _snapshots(self) -> Iterator[GaugeMetricFamily]:
        now = self.facts.now
        families = {
            name: GaugeMetricFamily(name, text, labels=["mount"])
            for name, text in (
                ("snapfront_snapshot_serials", "Snapshot serials on disk."),
                ("snapfront_snapshot_newest_serial_timestamp_seconds",
                 "When the newest complete signed serial was taken (its Release Date)."),
                ("snapfront_snapshot_newest_serial_age_seconds",
                 "Age of the newest complete signed serial."),
                ("snapfront_snapshot_valid_until_timestamp_seconds",
                 "Earliest Valid-Until of the newest serial's Release files."),
                ("snapfront_snapshot_valid_remaining_seconds",
                 "Seconds until the newest serial's earliest Valid-Until (negative: expired)."),
            )
        }  # fmt: skip
        for mount in self.facts.mounts:
            if mount.kind != "snapshots":
                continue
            families["snapfront_snapshot_serials"].add_metric([mount.url], mount.serials)
            if mount.taken is not None:
                name = "snapfront_snapshot_newest_serial_timestamp_seconds"
                families[name].add_metric([mount.url], mount.taken)
                name = "snapfront_snapshot_newest_serial_age_seconds"
                families[name].add_metric([mount.url], now - mount.taken)
            if mount.valid_until is not None:
                name = "snapfront_snapshot_valid_until_timestamp_seconds"
                families[name].add_metric([mount.url], mount.valid_until)
                name = "snapfront_snapshot_valid_remaining_seconds"
                families[name].add_metric([mount.url], mount.valid_until - now)
        yield from families.values()

    def _newest(self) -> Iterator[GaugeMetricFamily]:
        """Every mount's newest data (a snapshots mount's newest serial, else the newest mtime
        under its root): on a passive host, how far its rsync'd copy lags the active's
        (`snapfront_newest_data_timestamp_seconds` of the two hosts, compared per mount)."""
        stamp = GaugeMetricFamily(
            "snapfront_newest_data_timestamp_seconds",
            "Newest data of a mount: its newest serial's Date, or the newest mtime under it.",
            labels=["mount"],
        )
        age = GaugeMetricFamily(
            "snapfront_newest_data_age_seconds", "Age of a mount's newest data.", labels=["mount"]
        )
        for mount in self.facts.mounts:
            if mount.newest is not None:
                stamp.add_metric([mount.url], mount.newest)
                age.add_metric([mount.url], self.facts.now - mount.newest)
        yield stamp
        yield age

    def _watcher(self) -> Iterator[GaugeMetricFamily]:
        watcher = self.facts.watcher
        if not watcher.expected:
            return
        state = watcher.state
        up = watcher.alive and not any(r.startswith("watcher dead") for r in self.readiness.reasons)
        yield _gauge("snapfront_watcher_up", "1 while the watcher runs and beats.", up)
        if state is None:
            return
        yield _gauge(
            "snapfront_watcher_lag_seconds",
            "How long the oldest unbuilt change has waited.",
            state.lag,
        )
        yield _gauge(
            "snapfront_purge_queue_batches",
            "Purge batches waiting or in progress.",
            state.purger.queue,
        )
        if state.last_build is not None:
            last = state.last_build
            yield _gauge(
                "snapfront_watcher_last_build_timestamp_seconds",
                "When the last build ended.",
                last.finished,
            )
            yield _gauge(
                "snapfront_watcher_last_build_success", "1 if the last build succeeded.", last.ok
            )
            yield _gauge(
                "snapfront_watcher_last_build_lag_seconds",
                "From the last batch's first change to its build's end.",
                last.lag,
            )

    def _uploads(self) -> Iterator[CounterMetricFamily]:
        """Uploads each repository mount accepted and rejected (suites.upload_tally: whoever
        processed them, the watcher or `snapfront suite process`, counted them in its db/)."""
        uploads = CounterMetricFamily(
            "snapfront_uploads",
            "Uploads in a repository mount's incoming/ by outcome (accepted, rejected).",
            labels=["mount", "outcome"],
        )
        for mount in self.mounts:
            if mount.kind is MountKind.REPOSITORY:
                for outcome, count in upload_tally.read(mount.root).items():
                    uploads.add_metric([mount.url, outcome], count)
        yield uploads

    def _replication(self) -> Iterator[GaugeMetricFamily]:
        """A host with [replication]: its last runs, quarantine, and each mount's serial lag."""
        pulled = self.facts.replication
        if pulled is None:
            return
        state = pulled.state
        lag = GaugeMetricFamily(
            "snapfront_replication_serial_lag_seconds",
            "How far the newest serial here is behind the active's at the last run.",
            labels=["mount"],
        )
        for mount in self.facts.mounts:
            behind = serial_lag(mount, pulled)
            if behind is not None:
                lag.add_metric([mount.url], behind)
        yield lag
        moved = 0 if state is None else state.quarantined_total
        yield _gauge(
            "snapfront_replication_quarantined_files",
            "Files moved to the quarantine (on the passive, never on the active).",
            moved,
        )
        if state is None:
            return
        yield _gauge(
            "snapfront_replication_last_run_success", "1 if the last run succeeded.", state.ok
        )
        if state.last_complete is not None:
            yield _gauge(
                "snapfront_replication_last_complete_timestamp_seconds",
                "When the last complete replication run ended.",
                state.last_complete,
            )
            yield _gauge(
                "snapfront_replication_last_complete_age_seconds",
                "Seconds since the last complete replication run ended.",
                self.facts.now - state.last_complete,
            )


def _gauge(name: str, text: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, text, value=float(value))
