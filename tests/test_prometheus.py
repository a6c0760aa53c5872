"""Metrics with a real Prometheus (Debian package `prometheus`) scraping a two-worker snapfront:
the request counter counts what both workers served, the newest-serial age of each snapshots
mount is queryable, and `promtool check metrics` accepts the exposition."""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from snapfront.sample import SampleHost
from tests.health_support import private_config, status
from tests.support import fetch, running_server

pytestmark = pytest.mark.live


REQUESTS = 60


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found: apt-get install prometheus (Debian package)")
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def prometheus(target: str, directory: Path) -> Iterator[str]:
    """Prometheus on loopback scraping `target` (HOST:PORT) every second; always stopped."""
    binary = _tool("prometheus")
    config = directory / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "scrape_configs:\n  - job_name: snapfront\n    metrics_path: /-/metrics\n"
        f"    static_configs:\n      - targets: ['{target}']\n"
    )
    port = _free_port()
    log = open(directory / "prometheus.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [binary, f"--config.file={config}", f"--storage.tsdb.path={directory / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _query(api: str, expr: str) -> list[dict]:
    url = f"{api}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return json.load(resp)["data"]["result"]
    except OSError:
        return []  # not up yet


def _poll(api: str, expr: str, done, timeout: float = 30.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        found = _query(api, expr)
        if done(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def test_prometheus_scrapes_both_workers_and_serial_age(
    sample_host: SampleHost, tmp_path: Path
) -> None:
    config = private_config(sample_host, tmp_path, "workers = 2\n")
    with running_server(config) as running:
        base = running.url.rstrip("/")
        serial = status(base)["mounts"][0]["newest_serial"]
        for _ in range(REQUESTS):  # a new connection each: SO_REUSEPORT spreads them
            assert fetch(f"{base}/debian/{serial}/dists/bookworm/InRelease").status == 200
        for _ in range(10):
            assert fetch(base + "/debian/no-such-serial/").status == 404
        pids = {status(base)["workers"]["this"] for _ in range(30)}
        assert len(pids) == 2, pids  # both workers answer
        assert sorted(status(base)["workers"]["pids"]) == sorted(pids)

        exposition = fetch(base + "/-/metrics").body
        check = subprocess.run(
            [_tool("promtool"), "check", "metrics"], input=exposition, capture_output=True
        )
        assert check.returncode == 0, check.stdout + check.stderr

        target = running.url.split("//", 1)[1].rstrip("/")
        with prometheus(target, tmp_path) as api:
            expr = 'sum(snapfront_http_requests_total{mount="/debian/"})'
            found = _poll(api, expr, lambda r: r and float(r[0]["value"][1]) >= REQUESTS + 10)
            assert found and float(found[0]["value"][1]) == REQUESTS + 10, found
            by_status = _query(api, 'snapfront_http_requests_total{mount="/debian/",status="404"}')
            assert sum(float(r["value"][1]) for r in by_status) >= 10
            ages = _poll(api, "snapfront_snapshot_newest_serial_age_seconds", bool)
            assert [r["metric"]["mount"] for r in ages] == ["/debian/"]
            assert 0 <= float(ages[0]["value"][1]) < 86400 * 2
            left = _query(api, "snapfront_snapshot_valid_remaining_seconds")
            assert float(left[0]["value"][1]) > 300 * 86400  # the sample's ValidFor: 365d
            up = _query(api, 'up{job="snapfront"}')
            assert up and up[0]["value"][1] == "1"
