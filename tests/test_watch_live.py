"""The watcher beside a live `snapfront serve`, driven by the real tools: reprepro includedeb +
gensnapshot, snapshots written by hand in reprepro's order, rsync, apt-get; and which
processes watch (`--no-watch`, several workers, `snapfront watch` alone)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from snapfront import sample
from tests.apt_client import AptRoot
from tests.support import Running, family, fetch, running_server, with_listen

pytestmark = pytest.mark.live


TRACE = "/debian/project/trace/debian"
WITHIN = 2.0  # seconds from the last write to the fresh page being served (the bound)


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> sample.SampleHost:
    sample.require_tools()
    return sample.build_sample_host(tmp_path_factory.mktemp("live") / "host")


@pytest.fixture(scope="module")
def server(host: sample.SampleHost) -> Iterator[Running]:
    config = with_listen(host.config, "127.0.0.1:0", host.dir / "watch.toml")
    with running_server(config) as running:
        yield running


def get(server: Running, path: str) -> str:
    reply = fetch(server.url.rstrip("/") + path)
    return reply.body.decode() if reply.status == 200 else ""


def until(check: Callable[[], bool], timeout: float = WITHIN) -> float:
    start = time.monotonic()
    while not check():
        elapsed = time.monotonic() - start
        assert elapsed < timeout, f"not within {timeout} s"
        time.sleep(0.02)
    return time.monotonic() - start


def serial_of(trace: str) -> str:
    found = re.search(r"^Archive serial: (\d+)$", trace, re.M)
    return found.group(1) if found else ""


CODENAMES = ("bookworm", "jessie/updates")
RELEASE_FAMILY = ("Release", "InRelease", "Release.gpg")


def snapshot(host: sample.SampleHost, serial: str, codename: str = "bookworm") -> Path:
    return host.snapshots_root / "dists" / codename / "snapshots" / serial


def test_gensnapshot_is_served_within_two_seconds(
    host: sample.SampleHost, server: Running, tmp_path: Path
) -> None:
    serial = f"{host.serials[1][:-2]}05"
    deb = sample.make_deb(tmp_path, "hello", "2.0-1")
    try:
        sample.reprepro(host.snapshots_root, host.gnupghome, "includedeb", "bookworm", str(deb))
        for codename in CODENAMES:  # as Tails' cron does: the serial is taken after the last
            sample.reprepro(host.snapshots_root, host.gnupghome, "gensnapshot", codename, serial)
        exited = time.monotonic()
    finally:
        sample.stop_agent(host.gnupghome)
    left = WITHIN - (time.monotonic() - exited)
    until(lambda: serial_of(get(server, TRACE)) == serial, left)
    until(
        lambda: f'href="{serial}/"' in get(server, "/debian/"), WITHIN - (time.monotonic() - exited)
    )
    # the pool follows (the .deb, written just before, once it has been quiet for a while)
    until(lambda: "hello_2.0-1_all.deb" in get(server, "/debian/pool/main/h/hello/"))
    deb_line = f"deb [signed-by={host.keyring}] {server.url}debian/{serial}/ bookworm main"
    apt = AptRoot(tmp_path / "apt", [deb_line])
    result = apt.run("update")
    assert result.returncode == 0 and not result.problems(), result.output
    assert apt.candidate("hello") == "2.0-1"


def test_a_half_written_snapshot_is_never_named(host: sample.SampleHost, server: Running) -> None:
    """reprepro's order by hand: index files (NAME.new, then renamed), a pause, Release last;
    codename after codename. Unsigned, it is no serial at all; listed (as incomplete) once
    one codename is signed; named by the trace once the last one is."""
    before = serial_of(get(server, TRACE))
    serial = f"{before[:-2]}{int(before[-2:]) + 1:02d}"
    for codename in CODENAMES:
        source, target = snapshot(host, before, codename), snapshot(host, serial, codename)
        for path in sorted(
            p for p in source.rglob("*") if p.is_file() and p.name not in RELEASE_FAMILY
        ):
            dest = target / path.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest.with_name(dest.name + ".new"))
            os.replace(dest.with_name(dest.name + ".new"), dest)
    time.sleep(1.0)  # well past the quiet time: the batch for the index files has run
    assert f'href="{serial}/"' not in get(server, "/debian/")
    assert fetch(server.url + f"debian/{serial}/").status == 404
    assert serial_of(get(server, TRACE)) == before
    for codename in CODENAMES:
        for name in RELEASE_FAMILY:
            shutil.copy2(snapshot(host, before, codename) / name, snapshot(host, serial, codename))
        if codename == CODENAMES[0]:
            until(lambda: f'href="{serial}/"' in get(server, "/debian/"))  # as incomplete
            assert serial_of(get(server, TRACE)) == before  # jessie/updates not signed yet
    until(lambda: serial_of(get(server, TRACE)) == serial)


def test_a_removed_snapshot_leaves_the_front_page_and_the_trace(
    host: sample.SampleHost, server: Running
) -> None:
    newest = serial_of(get(server, TRACE))
    serials = sorted(p.name for p in snapshot(host, newest).parent.iterdir())
    for codename in CODENAMES:
        shutil.rmtree(snapshot(host, newest, codename))
    previous = serials[-2]
    until(lambda: serial_of(get(server, TRACE)) == previous)
    until(lambda: f'href="{newest}/"' not in get(server, "/debian/"))
    assert fetch(server.url + f"debian/{newest}/").status == 404


@pytest.mark.parametrize(("version", "options"), [("1.43", []), ("1.44", ["--delay-updates"])])
def test_rsync_of_a_release_directory(
    host: sample.SampleHost, server: Running, tmp_path: Path, version: str, options: list[str]
) -> None:
    assert shutil.which("rsync"), "rsync not found: apt-get install rsync"
    release = tmp_path / version
    release.mkdir()
    tarball = f"mediawiki-{version}.0.tar.gz"
    for name in (tarball, f"{tarball}.sig", "README"):
        (release / name).write_bytes(os.urandom(200_000))
    seen: list[str] = []
    stop = threading.Event()

    def poll() -> None:  # what a browser would see during the copy
        while not stop.is_set():
            seen.append(get(server, "/mediawiki/") + get(server, f"/mediawiki/{version}/"))
            time.sleep(0.02)

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        subprocess.run(
            ["rsync", "-a", "--bwlimit=400", *options, str(release), str(host.files_root / "mediawiki")],
            check=True, timeout=30,
        )  # fmt: skip
        until(lambda: f'href="{version}/"' in get(server, "/mediawiki/"))
        until(lambda: tarball in get(server, "/mediawiki/feed.atom"))
        until(lambda: tarball in get(server, f"/mediawiki/{version}/"))
    finally:
        stop.set()
        poller.join()
    assert not [page for page in seen if re.search(r"\.mediawiki-|\.README\.|~tmp~", page)]
    assert len(seen) > 10


def inotify_holders(pids: list[int]) -> list[int]:
    """The processes among `pids` that hold an inotify instance: the watchers."""
    found = []
    for pid in pids:
        with contextlib.suppress(OSError):
            fds = os.listdir(f"/proc/{pid}/fd")
            if any(os.readlink(f"/proc/{pid}/fd/{fd}") == "anon_inode:inotify" for fd in fds):
                found.append(pid)
    return found


def test_one_watcher_with_several_workers_and_none_without(host: sample.SampleHost) -> None:
    text = with_listen(host.config, "127.0.0.1:0", host.dir / "workers.toml").read_text()
    config = host.dir / "workers.toml"
    config.write_text(text.replace("[server]\n", "[server]\nworkers = 2\n"))
    with running_server(config) as running:
        processes = family(running.process.pid)
        assert len(processes) == 5  # supervisor, two workers, the watcher and its keeper
        assert len(inotify_holders(processes)) == 1
    with running_server(config, "--no-watch") as running:
        assert inotify_holders(family(running.process.pid)) == []
        assert fetch(running.url + "mediawiki/").status == 200  # built once, served


def test_snapfront_watch_alone(host: sample.SampleHost) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "snapfront.cli", "watch", "--config", str(host.config)],
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        for line in proc.stderr:  # the first build is done when it says it watches
            if line.startswith("watching "):
                break
        (host.files_root / "mediawiki" / "1.41" / "alone.tar.gz").write_bytes(b"alone")
        page = host.output / "mediawiki" / "1.41" / "index.html"
        until(lambda: "alone.tar.gz" in page.read_text())
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        (host.files_root / "mediawiki" / "1.41" / "alone.tar.gz").unlink()
