"""Smoke test of contrib/trafficserver with Debian's Traffic Server 9.2 in a private run root:
a pool file is cached, and the PURGE snapfront sends when the file is removed drops it. On a
release without the package (Debian 13) it is Debian 12's, run in a debootstrap root."""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import debroot
from tests.cdn import CONTRIB, running_trafficserver, trafficserver_system
from tests.edge import PURGE_BATCH, edge_behind

pytestmark = pytest.mark.system


HOST = "releases.example.org"
DEB = "/apt/pool/main/m/mediawiki-tools/mediawiki-tools_1.0-1_all.deb"


@pytest.fixture(scope="module")
def system(debian_bases: debroot.Bases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with trafficserver_system(debian_bases, tmp_path_factory.mktemp("ats-system")) as path:
        yield path


def test_pool_file_is_cached_and_purged(system: Path, tmp_path: Path) -> None:
    start = functools.partial(running_trafficserver, host=HOST, system=system)
    with edge_behind(tmp_path, start, cache_host=HOST) as edge:
        first = edge.cache.fetch(DEB)
        assert first.status == 200
        time.sleep(1.1)
        again = edge.cache.fetch(DEB)
        assert again.status == 200 and again.body == first.body
        assert int(again.header("Age") or 0) >= 1, again.headers  # from the cache
        assert origin_requests(edge.server.log, DEB) == 1  # the access log is flushed by now

        edge.log.skip()
        (edge.host.repository_root / DEB.removeprefix("/apt/")).unlink()
        batch = edge.log.wait_for(PURGE_BATCH)
        assert int(batch[2]) >= 1  # the removed file's URL, sent to Traffic Server
        gone = edge.cache.fetch(DEB)
        assert gone.status == 404, gone.headers  # asked snapfront again: the copy was dropped


def origin_requests(log: Path, url: str) -> int:
    return sum(f'"GET {url} ' in line for line in log.read_text().splitlines())


def test_records_for_ats_9_and_10_agree() -> None:
    """records.yaml (ATS 10) carries exactly the settings of the tested records.config."""
    assert _records_config() == _records_yaml()
    assert _records_config()["http.cache.required_headers"] == 2


def _records_config() -> dict[str, int]:
    settings = {}
    for line in (CONTRIB / "trafficserver/records.config").read_text().splitlines():
        if line.startswith("CONFIG "):
            _, name, _, value = line.split()
            settings[name.removeprefix("proxy.config.")] = int(value)
    return settings


def _records_yaml() -> dict[str, int]:
    """The nested mapping of records.yaml flattened to dotted names (two-space indents)."""
    settings, path = {}, []
    for line in (CONTRIB / "trafficserver/records.yaml").read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        depth = (len(line) - len(line.lstrip())) // 2
        key, _, value = line.strip().partition(":")
        path[depth:] = [key]
        if value.strip():
            settings[".".join(path[1:])] = int(value)
    return settings
