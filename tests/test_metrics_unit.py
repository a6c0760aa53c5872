"""The plain-Python tally folds into prometheus_client exactly as per-request calls would."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.live


def test_folded_histogram_equals_one_observe_per_request(tmp_path) -> None:
    # A fresh interpreter: prometheus_client must see PROMETHEUS_MULTIPROC_DIR at import.
    script = textwrap.dedent(
        """
        import os, sys
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = sys.argv[1]
        from prometheus_client import CollectorRegistry, Histogram, generate_latest
        from prometheus_client.multiprocess import MultiProcessCollector
        from snapfront.metrics import families
        from types import SimpleNamespace
        from snapfront.metrics.tally import Tally, add_observations, BOUNDS
        import bisect
        values = [0.0001, 0.0005, 0.0007, 0.003, 0.2, 7.0, 100.0, 0.0005]
        tally = Tally()
        for v in values:
            tally.record("/debian/", "immutable", 200, 10, v)
        tally.fold(SimpleNamespace(open=3, evicted=5, refused=1))
        tally.fold(SimpleNamespace(open=3, evicted=7, refused=1))  # totals: the growth is added
        direct = Histogram("direct_seconds", "d", ["mount"], buckets=families.REQUEST_BUCKETS,
                           registry=None)
        for v in values:
            direct.labels("/debian/").observe(v)
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        text = generate_latest(registry).decode()
        folded = sorted(l.split("{", 1)[1] for l in text.splitlines()
                        if l.startswith("snapfront_http_request_duration_seconds"))
        plain = sorted(l.split("{", 1)[1] for l in text.splitlines()
                       if l.startswith("direct_seconds"))
        assert folded == plain and len(folded) == len(BOUNDS) + 2, (folded, plain)
        assert 'snapfront_http_requests_total{cache="immutable",mount="/debian/",status="200"} 8.0' in text
        assert 'snapfront_http_response_bytes_total{mount="/debian/"} 80.0' in text
        assert "snapfront_http_connections_open 3.0" in text
        assert "snapfront_http_connections_evicted_total 7.0" in text
        assert "snapfront_http_connections_refused_total 1.0" in text
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True
    )
    assert result.stdout.strip() == "ok", result.stderr
