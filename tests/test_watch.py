"""The watcher in this process, on a host of its own: bursts, lost events, uploads in progress,
a replaced root, and polling when inotify's watch limit is reached."""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import hashlib
import json
import logging
import math
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from snapfront import sample
from snapfront.base.config import Watch, load
from snapfront.generator.observe import Observers
from snapfront.generator.watch import Watcher
from snapfront.purge import Changes

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> sample.SampleHost:
    sample.require_tools()
    built = sample.build_sample_host(tmp_path_factory.mktemp("watch") / "host")
    time.sleep(0.6)  # older than any `quiet` below: no file of it is still "being written"
    return built


@contextlib.contextmanager
def watching(
    host: sample.SampleHost,
    observing: Callable | None = None,
    health: float = 5.0,
    path: Path | None = None,
    on_change: Callable[[Changes], None] | None = None,
    **watch: float,
) -> Iterator[Watcher]:
    """A Watcher running on its own thread, started (first build done) and always stopped;
    its Changes are kept in `watcher.changes` (and handed to `on_change`)."""
    config = load(str(path or host.config))
    if watch:
        config = dataclasses.replace(config, watch=Watch(**watch))
    changes: list[Changes] = []

    def record(found: Changes) -> None:
        changes.append(found)
        if on_change is not None:
            on_change(found)

    extra = {"observing": observing} if observing else {}
    watcher = Watcher(config, on_change=record, health_seconds=health, **extra)
    watcher.changes = changes  # type: ignore[attr-defined]
    watcher.start()
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    try:
        yield watcher
    finally:
        watcher.stop()
        thread.join(10)
        assert not thread.is_alive()


def until(check: Callable[[], bool], timeout: float = 5.0) -> float:
    """Seconds until check() holds; fails after `timeout`."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < timeout, "timed out"
        time.sleep(0.02)
    return time.monotonic() - start


def listing(host: sample.SampleHost, url: str) -> dict[str, dict]:
    try:
        data = json.loads((host.output / url.strip("/") / "index.json").read_text())
    except (OSError, ValueError):
        return {}
    return {e["name"]: e for e in data["entries"]}


def test_idle_rebuilds_nothing(host: sample.SampleHost) -> None:
    with watching(host, quiet=0.2, max_wait=1.0, rescan=600) as watcher:
        watcher.rebuilds.clear()
        time.sleep(1.5)
        assert not watcher.rebuilds, "the watcher heard its own reads"


BURST = """
import os, sys, time
files = [os.open(f"{sys.argv[1]}/file-{i}.tar.gz", os.O_WRONLY | os.O_CREAT) for i in range(100)]
for round_ in range(50):  # 50 x 200 writes, one inotify event each, over ~2.5 s
    for i in range(200):
        os.write(files[i % 100], b"%d" % round_)
    time.sleep(0.05)
for fd in files:
    os.close(fd)
"""


def test_burst_of_10000_events_rebuilds_each_page_a_bounded_number_of_times(
    host: sample.SampleHost,
) -> None:
    folder = host.files_root / "mediawiki" / "burst"
    folder.mkdir()
    max_wait = 1.0
    with watching(host, quiet=0.5, max_wait=max_wait, rescan=600) as watcher:
        watcher.rebuilds.clear()
        start = time.monotonic()
        subprocess.run([sys.executable, "-c", BURST, str(folder)], check=True)  # no GIL shared
        spread = time.monotonic() - start
        until(lambda: "file-99.tar.gz" in listing(host, "/mediawiki/burst/"))
        time.sleep(1.0)  # let a last batch, if any, land
        bound = math.ceil(spread / max_wait) + 2
        for url in ("/mediawiki/burst/", "/mediawiki/", "/mediawiki/feed.atom"):
            assert 1 <= watcher.rebuilds[url] <= bound, (url, dict(watcher.rebuilds), spread)
        assert watcher.rebuilds["/mediawiki/1.41/"] == 0, "an unrelated page was rebuilt"
    shutil.rmtree(folder)


def test_lost_events_are_found_by_the_periodic_rescan(host: sample.SampleHost) -> None:
    with watching(host, quiet=0.2, max_wait=1.0, rescan=1.5) as watcher:
        assert watcher.observers is not None
        watcher.observers.stop()  # from now on every event is lost
        (host.files_root / "mediawiki" / "1.41" / "lost.tar.gz").write_bytes(b"lost")
        waited = until(lambda: "lost.tar.gz" in listing(host, "/mediawiki/1.41/"), 4.0)
        assert waited > 0.5  # not an event: the rescan found it
    (host.files_root / "mediawiki" / "1.41" / "lost.tar.gz").unlink()


def test_a_queue_overflow_rescans_at_once(host: sample.SampleHost) -> None:
    """watchdog only logs IN_Q_OVERFLOW; the watcher hears that record and rescans."""
    with watching(host, quiet=0.2, max_wait=1.0, rescan=600) as watcher:
        assert watcher.observers is not None
        watcher.observers.inotify.unschedule_all()  # deaf, as after an overflow
        (host.files_root / "mediawiki" / "1.41" / "overflow.tar.gz").write_bytes(b"lost")
        logging.getLogger("watchdog.observers.inotify_c").warning(
            "Inotify queue overflowed; filesystem events were lost"
        )
        until(lambda: "overflow.tar.gz" in listing(host, "/mediawiki/1.41/"), 2.0)
    (host.files_root / "mediawiki" / "1.41" / "overflow.tar.gz").unlink()


def test_an_upload_in_progress_is_not_listed_until_quiet(host: sample.SampleHost) -> None:
    target = host.files_root / "mediawiki" / "1.41" / "mediawiki-1.41.2.tar.gz"
    seen_early: list[dict] = []
    with watching(host, quiet=0.5, max_wait=0.6, rescan=600) as watcher:
        with open(target, "wb") as fh:  # scp writes in place, slowly
            for _ in range(8):
                fh.write(os.urandom(4096))
                fh.flush()
                time.sleep(0.3)
                if found := listing(host, "/mediawiki/1.41/").get(target.name):
                    seen_early.append(found)
        assert not seen_early, "listed while being written"
        until(lambda: target.name in listing(host, "/mediawiki/1.41/"), 3.0)
        entry = listing(host, "/mediawiki/1.41/")[target.name]
        assert entry["sha256"] == hashlib.sha256(target.read_bytes()).hexdigest()
        assert entry["size"] == 8 * 4096
        assert any("mediawiki/1.41/index.html" in c.output_paths
                   for c in watcher.changes)  # type: ignore[attr-defined]  # fmt: skip
    target.unlink()


def test_a_replaced_root_is_watched_again(host: sample.SampleHost) -> None:
    root = host.files_root
    with watching(host, health=0.3, quiet=0.2, max_wait=1.0, rescan=600):
        fresh = root.with_name("releases.new")
        shutil.copytree(root, fresh, symlinks=True)
        (fresh / "swapped.tar.gz").write_bytes(b"new tree")
        root.rename(root.with_name("releases.old"))
        time.sleep(0.6)  # missing for a while: its pages are kept, not pruned
        assert (host.output / "mediawiki" / "index.html").exists()
        fresh.rename(root)
        until(lambda: "swapped.tar.gz" in listing(host, "/"), 3.0)
        (root / "after.tar.gz").write_bytes(b"events flow again")
        until(lambda: "after.tar.gz" in listing(host, "/"), 3.0)
    for name in ("swapped.tar.gz", "after.tar.gz"):
        (root / name).unlink()
    shutil.rmtree(root.with_name("releases.old"))


class FullInotify(Observer):  # type: ignore[misc,valid-type]
    """An inotify observer on a host whose fs.inotify.max_user_watches is used up."""

    def schedule(self, *args: object, **kwargs: object) -> object:
        raise OSError(errno.ENOSPC, "inotify watch limit reached")


def test_watch_limit_reached_warns_and_polls(
    host: sample.SampleHost, caplog: pytest.LogCaptureFixture
) -> None:
    def observing(sink: Callable[[str, bool, bool], None]) -> Observers:
        return Observers(sink, inotify=FullInotify, polling=lambda: PollingObserver(timeout=0.2))

    with (
        caplog.at_level(logging.WARNING, "snapfront.watch"),
        watching(host, observing, quiet=0.2, max_wait=1.0, rescan=600) as watcher,
    ):
        assert watcher.observers is not None and watcher.observers.polled
        (host.files_root / "mediawiki" / "polled.tar.gz").write_bytes(b"polled")
        until(lambda: "polled.tar.gz" in listing(host, "/mediawiki/"), 4.0)
    (host.files_root / "mediawiki" / "polled.tar.gz").unlink()
    warnings = [r.getMessage() for r in caplog.records if "max_user_watches" in r.getMessage()]
    assert warnings and "Polling" in warnings[0]


def test_reload_rereads_the_config_and_refuses_a_broken_one(host: sample.SampleHost) -> None:
    path = host.dir / "reload.toml"
    path.write_text(host.config.read_text() + "\n[watch]\nquiet = 0.3\n")
    with watching(host, path=path) as watcher:
        assert watcher.config.watch.quiet == 0.3
        path.write_text(host.config.read_text() + "\n[watch]\nquiet = 0.4\n")
        watcher.request_reload()  # what SIGHUP does
        until(lambda: watcher.config.watch.quiet == 0.4)
        path.write_text("[server\n")
        watcher.request_reload()
        time.sleep(0.3)
        assert watcher.config.watch.quiet == 0.4  # the old config is kept
        (host.files_root / "mediawiki" / "reloaded.tar.gz").write_bytes(b"still watching")
        until(lambda: "reloaded.tar.gz" in listing(host, "/mediawiki/"))
    (host.files_root / "mediawiki" / "reloaded.tar.gz").unlink()
