"""The serving process itself: several workers, reload, graceful stop, never-stale memory."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from snapfront.sample import SampleHost
from snapfront.server.small_files import SmallFiles
from tests.support import Running, fetch, running_server, with_listen

pytestmark = pytest.mark.live


def children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def workers_config(host: SampleHost, name: str, workers: int) -> Path:
    config = with_listen(host.config, "127.0.0.1:0", host.dir / name)
    config.write_text(
        config.read_text().replace("[server]\n", f"[server]\nworkers = {workers}\n", 1)
    )
    return config


@pytest.fixture(scope="module")
def two_workers(sample_host: SampleHost) -> Iterator[Running]:
    # workers only: the watcher's process (tests/test_watch_live.py) would count as a child
    with running_server(workers_config(sample_host, "workers2.toml", 2), "--no-watch") as running:
        yield running


def test_two_workers_serve_one_port(two_workers: Running, sample_host: SampleHost) -> None:
    assert len(children(two_workers.process.pid)) == 2
    serial = sample_host.serials[1]
    for _ in range(20):
        reply = fetch(f"{two_workers.url}debian/{serial}/dists/bookworm/InRelease")
        assert reply.status == 200


def test_a_dead_worker_is_replaced(two_workers: Running) -> None:
    before = children(two_workers.process.pid)
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        now = children(two_workers.process.pid)
        if len(now) == 2 and victim not in now:
            break
        time.sleep(0.1)
    assert len(now) == 2 and victim not in now, (before, now)
    for _ in range(10):
        assert fetch(f"{two_workers.url}mediawiki/1.41/mediawiki-1.41.0.tar.gz").status == 200


def test_cached_small_files_are_never_stale(two_workers: Running, sample_host: SampleHost) -> None:
    """Rewrite a small file behind the server's back, same size: every worker sees it at once."""
    path = sample_host.files_root / "mediawiki" / "notes.txt"
    path.write_bytes(b"A" * 1000)
    url = f"{two_workers.url}mediawiki/notes.txt"
    for _ in range(20):  # warm the memory of both workers
        assert fetch(url).body == b"A" * 1000
    stamp = path.stat()
    path.write_bytes(b"B" * 1000)  # in place: same inode, same size, newer mtime
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 1_000_000))
    assert {fetch(url).body for _ in range(20)} == {b"B" * 1000}
    replacement = path.with_name("notes.tmp")
    replacement.write_bytes(b"C" * 1000)  # atomic replace: new inode, same size and mtime
    os.utime(replacement, ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 1_000_000))
    os.replace(replacement, path)
    assert {fetch(url).body for _ in range(20)} == {b"C" * 1000}
    path.unlink()
    assert {fetch(url).status for _ in range(10)} == {404}


def test_small_files_unit(tmp_path: Path) -> None:
    small = SmallFiles(max_file=100, budget=250)
    files = []
    for i in range(4):
        f = tmp_path / f"f{i}"
        f.write_bytes(bytes([65 + i]) * 100)
        files.append(f)
        fd = os.open(f, os.O_RDONLY)
        try:
            assert small.remember(str(f), fd, os.fstat(fd), '"x"', {}) is not None
        finally:
            os.close(fd)
    # The budget holds two 100-byte files: the oldest left first.
    assert small.lookup(str(files[0])) is None and small.lookup(str(files[1])) is None
    assert small.lookup(str(files[3])).data == b"D" * 100
    big = tmp_path / "big"
    big.write_bytes(b"x" * 101)
    fd = os.open(big, os.O_RDONLY)
    try:
        assert small.remember(str(big), fd, os.fstat(fd), '"x"', {}) is None
    finally:
        os.close(fd)


@pytest.mark.parametrize("workers", [1, 2])
def test_sighup_rereads_the_config(sample_host: SampleHost, workers: int) -> None:
    """A broken config is refused in one line: not once per serving process and watcher."""
    config = workers_config(sample_host, f"reload{workers}.toml", workers)
    with running_server(config) as running:
        url = f"{running.url}mediawiki/1.41/mediawiki-1.41.0.tar.gz"
        assert fetch(url).header("Cache-Control") == "public, max-age=86400"
        config.write_text(config.read_text() + '\n[cache]\nfiles = "public, max-age=60"\n')
        running.signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while fetch(url).header("Cache-Control") != "public, max-age=60":
            assert time.monotonic() < deadline, "SIGHUP did not apply the new [cache]"
            time.sleep(0.1)
        config.write_text(config.read_text() + "\n[bogus]\n")
        running.signal(signal.SIGHUP)
        time.sleep(1.5)  # the watcher and every worker would have said it by now
        assert fetch(url).header("Cache-Control") == "public, max-age=60"
        assert running.log.read_text().count("reload refused") == 1, running.log.read_text()


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_finishes_downloads_in_flight(sample_host: SampleHost, workers: int) -> None:
    big = sample_host.files_root / "big.bin"
    if not big.exists():
        with open(big, "wb") as fh:
            for i in range(32):
                fh.write(hashlib.sha256(str(i).encode()).digest() * 32768)  # 1 MiB each
    expected = hashlib.sha256(big.read_bytes()).hexdigest()
    config = workers_config(sample_host, f"graceful{workers}.toml", workers)
    with running_server(config) as running:
        parts = urlsplit(running.url)
        sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        sock.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        received = sock.recv(65536)
        running.signal(signal.SIGTERM)
        time.sleep(0.5)  # the server is stopping while the client still reads
        while chunk := sock.recv(1 << 20):
            received += chunk
        sock.close()
        head, _, body = received.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        assert int(re.search(rb"Content-Length: (\d+)", head).group(1)) == len(body)
        assert hashlib.sha256(body).hexdigest() == expected
        assert running.process.wait(timeout=20) == 0
        # One access-log line, with the bytes sendfile really sent, flushed at the stop.
        log = running.log.read_text()
        assert f'"GET /big.bin HTTP/1.1" 200 {big.stat().st_size} ' in log, log[-2000:]
