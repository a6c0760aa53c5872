"""Issue 22: a suite change is visible through a real Varnish at once. `snapfront suite merge`
purges the suite's indexes and Release files from the [[cdn]], the watcher of `snapfront
serve` rebuilds the suite's page (its history) and purges it: what the cache held before the
merge is gone within seconds, not after its max-age."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from snapfront import sample
from tests.cdn import Proxy, free_port, running_varnish
from tests.edge import WATCH_QUIET
from tests.suites_support import Host, build_host
from tests.support import Reply, running_server
from tests.test_varnish import hit

pytestmark = pytest.mark.system

SUITE = "bugfix-12345-whatever"  # holds d 1.0-1; the merge of stable adds a and b
BASE = f"/tails/dists/{SUITE}/"
URLS = (f"{BASE}InRelease", f"{BASE}main/binary-amd64/Packages", BASE, f"{BASE}index.json")


@dataclass
class Edge:
    host: Host
    cache: Proxy


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    top = tmp_path_factory.mktemp("suites-varnish")
    host = build_host(top)
    port = free_port()
    cache = f"127.0.0.1:{port}"
    with host.config.open("a") as fh:
        fh.write(f"\n[watch]\nquiet = {WATCH_QUIET}\nmax_wait = 2\n"
                 f'\n[[cdn]]\npurge = "http://{cache}"\nhosts = ["{cache}"]\n')  # fmt: skip
    try:
        with running_server(host.config) as server:
            origin_port = urlsplit(server.url).port
            assert origin_port is not None
            with running_varnish(top / "cache", origin_port, port) as proxy:
                yield Edge(host, proxy)
    finally:
        sample.stop_agent(host.gnupghome)


def events(reply: Reply) -> list[tuple[str, str]]:
    return [(e["event"], e["detail"]) for e in json.loads(reply.body)["history"]["events"]]


def until(probe: Callable[[], Reply], done: Callable[[Reply], bool], seconds: float) -> Reply:
    deadline = time.monotonic() + seconds
    while not done(reply := probe()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return reply


def test_a_merge_is_seen_through_varnish_within_seconds(edge: Edge) -> None:
    before = {url: edge.cache.fetch(url) for url in URLS}
    assert all(r.status == 200 for r in before.values()), before
    assert events(before[f"{BASE}index.json"]) == []
    cached = {url: edge.cache.fetch(url) for url in URLS}
    for url, reply in cached.items():
        assert hit(reply) and reply.body == before[url].body, f"{url} not cached"

    merged = edge.host.suite("merge", "stable", SUITE)
    assert merged.returncode == 0, merged.stderr
    started = time.monotonic()
    after = {
        url: until(lambda u=url: edge.cache.fetch(u), lambda r, u=url: r.body != before[u].body, 5)
        for url in URLS[:2]
    }
    page = until(lambda: edge.cache.fetch(URLS[3]), lambda r: bool(events(r)), 5)
    html = until(lambda: edge.cache.fetch(BASE), lambda r: b"merge from stable" in r.body, 5)
    took = time.monotonic() - started
    packages = after[URLS[1]].body.decode()
    assert "Package: a\n" in packages and "Package: b\n" in packages, packages
    assert after[URLS[0]].body != before[URLS[0]].body, "InRelease: the old one still cached"
    assert events(page)[0] == ("merge", "from stable"), events(page)
    added = json.loads(page.body)["history"]["events"][0]["changes"]["added"]
    assert added == [{"package": "a", "version": "1.0-1"}, {"package": "b", "version": "2.0-1"}]
    assert b"merge from stable" in html.body and b"History of " + SUITE.encode() in html.body
    assert took < 5, f"{took:.1f} s before the cache showed the merge"
