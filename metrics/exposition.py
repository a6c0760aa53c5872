"""The text `/-/metrics` answers: every process's multiprocess values plus the facts."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

CONTENT_TYPE = CONTENT_TYPE_LATEST


def exposition(*extra: Collector) -> bytes:
    """Merge the mmap files of every process, live or dead (counters survive a worker)."""
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    for collector in extra:
        registry.register(collector)
    return generate_latest(registry)
