"""The purger against a scripted cache: order, Host names, retries, failures, never blocking."""

from __future__ import annotations

import contextlib
import http.server
import logging
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from snapfront import sample
from snapfront.base.config import Cdn, Config, load
from snapfront.basedir import inventory
from snapfront.purge import Changes, Purger
from snapfront.sample import SampleHost
from tests.test_watch import until, watching

pytestmark = pytest.mark.live


Answer = Callable[[str, int], int]  # (url, how many times it was asked before) -> status


@dataclass
class Seen:
    url: str
    host: str
    at: float


class FakeCache(http.server.ThreadingHTTPServer):
    """Answers PURGE as `answer` says and records every request, in arrival order."""

    daemon_threads = True

    def __init__(self, answer: Answer, delay: float = 0.0) -> None:
        self.answer, self.delay = answer, delay
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def urls(self, host: str | None = None) -> list[str]:
        return [s.url for s in self.seen if host is None or s.host == host]


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FakeCache

    def do_PURGE(self) -> None:
        time.sleep(self.server.delay)
        with self.server.lock:
            before = sum(s.url == self.path for s in self.server.seen)
            self.server.seen.append(Seen(self.path, self.headers["Host"], time.monotonic()))
        status = self.server.answer(self.path, before)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def fake_cache(answer: Answer = lambda url, n: 200, delay: float = 0.0) -> Iterator[FakeCache]:
    cache = FakeCache(answer, delay)
    thread = threading.Thread(target=cache.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield cache
    finally:
        cache.shutdown()
        cache.server_close()


def configured(host: SampleHost, *caches: tuple[str, tuple[str, ...]]) -> Config:
    """The sample host's config with [[cdn]] tables (built in memory: the host stays as is)."""
    return replace(load(str(host.config)), cdns=tuple(Cdn(url, hosts) for url, hosts in caches))


def repository_export(host: SampleHost) -> Changes:
    """What a re-export of the plain repository changes, and the page of its dists/."""
    dists = host.repository_root / "dists" / "bookworm-mediawiki"
    data = [dists / n for n in ("InRelease", "Release", "Release.gpg")]
    data += [dists / "main" / "binary-amd64" / n for n in ("Packages", "Packages.gz", "Release")]
    return Changes(tuple(map(str, data)), ("apt/dists/bookworm-mediawiki/index.html",))


PAGES = {f"/apt/dists/bookworm-mediawiki{end}" for end in ("", "/", "/index.html")}
RELEASE_NAMES = ("InRelease", "Release", "Release.gpg")


def stage_of(url: str) -> int:
    if url in PAGES:
        return 2
    return 1 if url.rsplit("/", 1)[-1] in RELEASE_NAMES and "binary-" not in url else 0


def test_stages_in_order_on_every_host(
    sample_host: SampleHost, caplog: pytest.LogCaptureFixture
) -> None:
    with fake_cache() as cache:
        purger = Purger(configured(sample_host, (cache.url, ("a.example", "b.example:8080"))))
        with caplog.at_level(logging.INFO, "snapfront.purge"):
            purger.on_change(repository_export(sample_host))
            assert purger.wait(10)
        purger.close()
    for host in ("a.example", "b.example:8080"):
        urls = cache.urls(host)
        assert len(urls) == len(set(urls)) == 9  # 3 index, 3 release, page with/without / + html
        assert [stage_of(u) for u in urls] == sorted(stage_of(u) for u in urls)
    # a stage starts only when the one before has finished on every host
    last_index = max(s.at for s in cache.seen if stage_of(s.url) == 0)
    assert all(s.at >= last_index for s in cache.seen if stage_of(s.url) == 1)
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("purge batch:")]
    assert len(lines) == 1 and lines[0].startswith(
        "purge batch: 9 URLs (3 index, 3 release, 3 page) on 1 cache: "
    )
    assert "18 purged, 0 failed, 0 skipped, 0 retries" in lines[0]
    assert purger.stats.purged == 18 and purger.stats.batches == 1


def test_transient_failures_are_retried_with_back_off(sample_host: SampleHost) -> None:
    flaky = "/apt/dists/bookworm-mediawiki/main/binary-amd64/Packages"
    with fake_cache(lambda url, n: 503 if url == flaky and n < 2 else 200) as cache:
        purger = Purger(configured(sample_host, (cache.url, ("h",))), backoff=0.1)
        purger.on_change(repository_export(sample_host))
        assert purger.wait(10)
        purger.close()
    tries = [s.at for s in cache.seen if s.url == flaky]
    assert len(tries) == 3
    assert tries[1] - tries[0] >= 0.1 and tries[2] - tries[1] >= 0.2  # doubled each time
    assert (purger.stats.failed, purger.stats.retries) == (0, 2)
    assert cache.urls().index("/apt/dists/bookworm-mediawiki/InRelease") > cache.urls().index(flaky)


def test_a_failed_stage_stops_that_cache_only(
    sample_host: SampleHost, caplog: pytest.LogCaptureFixture
) -> None:
    """Purging InRelease after its Packages could not be purged would expose the mismatch."""
    stuck = "/apt/dists/bookworm-mediawiki/main/binary-amd64/Packages.gz"
    with fake_cache(lambda url, n: 503 if url == stuck else 200) as bad, fake_cache() as good:
        config = configured(sample_host, (bad.url, ("h",)), (good.url, ("h",)))
        purger = Purger(config, attempts=3, backoff=0.01)
        with caplog.at_level(logging.INFO, "snapfront.purge"):
            purger.on_change(repository_export(sample_host))
            assert purger.wait(10)
        purger.close()
    assert {stage_of(u) for u in bad.urls()} == {0}
    assert [u for u in bad.urls() if u == stuck] == [stuck] * 3
    assert len(good.urls()) == 9
    assert (purger.stats.failed, purger.stats.skipped) == (1, 6)
    failed = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert failed == [f"purge failed: PURGE {bad.url}{stuck} (Host: h): 503 Service Unavailable"]


def test_refused_purges_are_not_retried(sample_host: SampleHost) -> None:
    with fake_cache(lambda url, n: 403) as cache:
        purger = Purger(configured(sample_host, (cache.url, ("h",))), backoff=5)
        started = time.monotonic()
        purger.on_change(repository_export(sample_host))
        assert purger.wait(10)
        purger.close()
    assert time.monotonic() - started < 2
    assert (purger.stats.failed, purger.stats.retries, purger.stats.skipped) == (3, 0, 6)


def test_on_change_never_blocks_and_bursts_merge(sample_host: SampleHost) -> None:
    with fake_cache(delay=0.3) as cache:
        purger = Purger(configured(sample_host, (cache.url, ("h",))), concurrency=2)
        started = time.monotonic()
        for _ in range(5):
            purger.on_change(repository_export(sample_host))
        assert time.monotonic() - started < 0.1
        assert purger.wait(30)
        purger.close()
    assert purger.stats.batches <= 2  # the first, then the four that queued behind it, merged
    assert len(cache.urls()) == 9 * purger.stats.batches


def test_unreachable_cache_is_counted_not_raised(sample_host: SampleHost) -> None:
    with fake_cache() as cache:
        dead = cache.url  # closed again below: connections are refused
    purger = Purger(configured(sample_host, (dead, ("h",))), attempts=2, backoff=0.01)
    purger.on_change(repository_export(sample_host))
    assert purger.wait(10)
    purger.close()
    assert (purger.stats.failed, purger.stats.retries, purger.stats.skipped) == (3, 3, 6)


def test_new_pool_files_are_not_purged_removed_ones_are(
    sample_host: SampleHost, tmp_path: Path
) -> None:
    present = next((sample_host.repository_root / "pool").rglob("*.deb"))
    gone = present.with_name("mediawiki-tools_0.1-1_all.deb")
    with fake_cache() as cache:
        purger = Purger(configured(sample_host, (cache.url, ("h",))))
        purger.on_change(Changes(data_paths=(str(present), str(gone))))
        assert purger.wait(10)
        purger.close()
    rel = gone.relative_to(sample_host.repository_root)
    assert cache.urls() == [f"/apt/{rel}"]


def test_without_cdn_nothing_runs(sample_host: SampleHost) -> None:
    purger = Purger(load(str(sample_host.config)))
    purger.on_change(repository_export(sample_host))
    assert purger.wait(0) and purger.stats.batches == 0
    assert not [t for t in threading.enumerate() if t.name == "purge"]


@pytest.fixture(scope="module")
def own_host(tmp_path_factory: pytest.TempPathFactory) -> SampleHost:
    """A host of this module's own: its snapshots come and go."""
    sample.require_tools()
    built = sample.build_sample_host(tmp_path_factory.mktemp("purged") / "host")
    time.sleep(0.6)  # older than `quiet`: no file of it is still "being written"
    return built


def test_the_watcher_s_serials_purged_without_reading_the_basedir(
    own_host: SampleHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A serial taken, then removed (as gc does): both purged, the removed one's URLs known
    from the archive the change carries from before it; no purge thread reads conf/."""
    readers: list[str] = []  # the thread of every read of a conf/distributions
    real = inventory._distributions
    monkeypatch.setattr(
        inventory, "_distributions",
        lambda root: readers.append(threading.current_thread().name) or real(root),
    )  # fmt: skip
    serial = f"{own_host.serials[1][:8]}30"
    in_release = f"/debian/{serial}/dists/bookworm/InRelease"
    snapshot = own_host.snapshots_root / "dists" / "bookworm" / "snapshots" / serial
    with fake_cache() as cache:
        purger = Purger(configured(own_host, (cache.url, ("h",))))
        with watching(
            own_host, on_change=purger.on_change, quiet=0.2, max_wait=1.0, rescan=600
        ) as watcher:
            reads, batches = len(readers), len(watcher.changes)  # type: ignore[attr-defined]
            try:
                sample.reprepro(
                    own_host.snapshots_root, own_host.gnupghome, "gensnapshot", "bookworm", serial
                )
            finally:
                sample.stop_agent(own_host.gnupghome)
            until(lambda: in_release in cache.urls(), 10)
            shutil.rmtree(snapshot)
            until(lambda: cache.urls().count(in_release) == 2, 10)
            assert purger.wait(10)
            batches = len(watcher.changes) - batches  # type: ignore[attr-defined]
        purger.close()
    assert f"/debian/dists/bookworm/snapshots/{serial}/InRelease" in cache.urls()
    assert not [name for name in readers if name.startswith("purge")]
    assert 0 < len(readers) - reads <= batches  # the builder's one read per batch, no more


def test_snapfront_build_purges_what_it_wrote(own_host: SampleHost) -> None:
    """A build into a fresh output purges every page, a serial's too: the build's own reading
    of the archive goes with what it wrote (with none, /debian/SERIAL/ maps to no page)."""
    config = own_host.dir / "cdn.toml"
    with fake_cache() as cache:
        text = own_host.config.read_text().replace('output = "output"', 'output = "output-cdn"')
        config.write_text(text + f'\n[[cdn]]\npurge = "{cache.url}"\nhosts = ["h"]\n')
        built = subprocess.run(
            [sys.executable, "-m", "snapfront.cli", "build", "--config", str(config)],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert built.returncode == 0, built.stderr
    serial = own_host.serials[1]
    wanted = {"/debian/", f"/debian/{serial}/", f"/debian/{serial}/dists/bookworm/"}
    assert wanted | {"/debian/project/trace/debian", "/apt/dists/"} <= set(cache.urls())
