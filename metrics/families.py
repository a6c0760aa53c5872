"""Every metric snapfront's processes count into the multiprocess directory.

Names follow the Prometheus conventions: `snapfront_` prefix, base units in the name,
`_total` for counters (prometheus_client appends it). What every process can work out
alike from disk (serial ages, Valid-Until, the watcher's state) is not here but computed at
scrape time (metrics.collector).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

REQUEST_BUCKETS = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1,
    2.5,
    5,
    10,
    60,
)
"""Seconds; most answers come from memory in well under a millisecond, downloads take minutes."""
BUILD_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)

REQUESTS = Counter(
    "snapfront_http_requests",
    "HTTP requests answered, by mount URL, cache class and status code.",
    ["mount", "cache", "status"],
    registry=None,
)
RESPONSE_BYTES = Counter(
    "snapfront_http_response_bytes",
    "Response body bytes sent, by mount URL (what left before a client went away).",
    ["mount"],
    registry=None,
)
REQUEST_SECONDS = Histogram(
    "snapfront_http_request_duration_seconds",
    "Time from the request head to the last byte handed to the kernel, by mount URL.",
    ["mount"],
    buckets=REQUEST_BUCKETS,
    registry=None,
)
OPEN_CONNECTIONS = Gauge(
    "snapfront_http_connections_open",
    "Client connections open now (all workers).",
    multiprocess_mode="livesum",
    registry=None,
)
CONNECTIONS_EVICTED = Counter(
    "snapfront_http_connections_evicted",
    "Connections waiting for a request head closed to make room (max_connections running low).",
    registry=None,
)
CONNECTIONS_REFUSED = Counter(
    "snapfront_http_connections_refused",
    "Connections answered 503 because max_connections were all busy answering requests.",
    registry=None,
)
FAST_PATH_ANSWERS = Counter(
    "snapfront_http_fast_path_answers",
    "Requests answered by the hot path (also counted in snapfront_http_requests).",
    registry=None,
)
BUILD_SECONDS = Histogram(
    "snapfront_build_duration_seconds",
    "Watcher builds (batches and rescans), by how long they took.",
    buckets=BUILD_BUCKETS,
    registry=None,
)
BUILDS = Counter(
    "snapfront_builds", "Watcher builds, by outcome (ok, failed).", ["outcome"], registry=None
)
FILES_WRITTEN = Counter(
    "snapfront_build_files_written",
    "Output files (pages, feeds, traces and their .br/.gz) the watcher wrote.",
    registry=None,
)
PAGES_RENDERED = Counter(
    "snapfront_build_pages_rendered",
    "Pages, feeds and traces the watcher rendered (written or found unchanged).",
    registry=None,
)
PURGES = Counter(
    "snapfront_purges",
    "PURGE requests by outcome: purged (2xx/404), failed, skipped (an earlier stage failed).",
    ["outcome"],
    registry=None,
)
PURGE_RETRIES = Counter(
    "snapfront_purge_retries", "PURGE requests sent again after a transient failure.", registry=None
)
