"""The hot path is never stale: a file replaced, truncated or removed between two requests is
answered from disk on the very next request, on connections whose worker has kept its answer,
with one worker and with several; and a 404 for a serial not taken yet turns into the file the
moment the snapshot is on disk, however it gets there (README: Serving at speed, the hot path)."""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shutil
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from snapfront import sample
from snapfront.sample import SampleHost
from tests.support import Running, running_server

pytestmark = pytest.mark.live

CONNECTIONS_PER_WORKER = 4
"""Kept-alive connections per worker: SO_REUSEPORT spreads them, so each worker has some."""


def _copy(host: SampleHost, dest: Path, workers: int) -> Path:
    """A private copy of the sample host (its files are changed here), listening anywhere."""
    shutil.copytree(host.dir, dest, symlinks=True, ignore=shutil.ignore_patterns("*.log"))
    config = dest / "snapfront.toml"
    text = re.sub(r'(?m)^listen = ".*"$', 'listen = "127.0.0.1:0"', config.read_text())
    config.write_text(text.replace("[server]\n", f"[server]\nworkers = {workers}\n", 1))
    return config


def _get(conn: http.client.HTTPConnection, path: str) -> tuple[int, bytes]:
    conn.request("GET", path)
    resp = conn.getresponse()
    return resp.status, resp.read()


@contextlib.contextmanager
def _connections(server: Running, workers: int) -> Iterator[list[http.client.HTTPConnection]]:
    """Enough kept-alive connections that every worker holds some (SO_REUSEPORT spreads them)."""
    port = int(server.url.rsplit(":", 1)[1].strip("/"))
    conns = [
        http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for _ in range(CONNECTIONS_PER_WORKER * workers)
    ]
    try:
        yield conns
    finally:
        for conn in conns:
            conn.close()


def _all(conns: list[http.client.HTTPConnection], path: str) -> set[tuple[int, bytes]]:
    return {_get(conn, path) for conn in conns}


@pytest.mark.parametrize("workers", [1, 3])
def test_a_changed_file_is_answered_from_disk_at_once(
    sample_host: SampleHost, tmp_path: Path, workers: int
) -> None:
    config = _copy(sample_host, tmp_path / "host", workers)
    new = sample_host.serials[1]
    path = f"/debian/{new}/dists/bookworm/Release"
    file = tmp_path / "host" / "snapshots/debian/dists/bookworm/snapshots" / new / "Release"
    original = file.read_bytes()
    with running_server(config) as server, _connections(server, workers) as conns:
        for _ in range(3):  # the full path, then the hot path
            assert _all(conns, path) == {(200, original)}
        replaced = file.with_name("Release.new")
        replaced.write_bytes(original.replace(b"Debian snapshots", b"Replaced on disk"))
        os.replace(replaced, file)
        assert _all(conns, path) == {(200, file.read_bytes())}
        assert _all(conns, path) == {(200, file.read_bytes())}
        with open(file, "r+b") as handle:
            handle.truncate(10)
        assert _all(conns, path) == {(200, file.read_bytes()[:10])}
        assert _all(conns, path) == {(200, file.read_bytes()[:10])}
        file.unlink()
        answers = _all(conns, path)
        assert {status for status, _ in answers} == {404}


LONG_AGO = 1_700_000_000
NEW = "2030010101"


def _gensnapshot(host: Path) -> None:
    """reprepro makes dists/bookworm/snapshots/NEW and signs it, as a snapshot cron does."""
    gnupghome = host / "gnupg"
    try:
        sample.reprepro(host / "snapshots/debian", gnupghome, "gensnapshot", "bookworm", NEW)
    finally:
        sample.stop_agent(gnupghome)


def _rename_into_place(host: Path) -> None:
    """A whole signed snapshot directory made beside, then renamed into place."""
    snaps = host / "snapshots/debian/dists/bookworm/snapshots"
    old = sorted(p for p in snaps.iterdir() if p.name.isdigit())[0]
    shutil.copytree(old, snaps / ".staging", symlinks=True)
    os.rename(snaps / ".staging", snaps / NEW)


def _symlink(host: Path) -> None:
    """The serial made a symlink to a snapshot directory already there."""
    snaps = host / "snapshots/debian/dists/bookworm/snapshots"
    old = sorted(p for p in snaps.iterdir() if p.name.isdigit())[0]
    (snaps / NEW).symlink_to(old.name)


def _fast_answers(url: str) -> float:
    with urllib.request.urlopen(url + "-/metrics", timeout=10) as resp:
        for line in resp.read().decode().splitlines():
            if line.startswith("snapfront_http_fast_path_answers_total"):
                return float(line.split()[-1])
    return 0.0


@pytest.mark.parametrize(
    ("workers", "appear"),
    [(1, _gensnapshot), (3, _gensnapshot), (1, _rename_into_place), (3, _symlink)],
)
def test_a_404_for_a_serial_not_taken_yet_turns_into_its_file_at_once(
    sample_host: SampleHost, tmp_path: Path, workers: int, appear: Callable[[Path], None]
) -> None:
    host = tmp_path / "host"
    config = _copy(sample_host, host, workers)
    for place in [host / "snapshots", *(host / "snapshots").rglob("*")]:
        os.utime(place, (LONG_AGO, LONG_AGO), follow_symlinks=False)  # a snapshot of long ago
    path = f"/debian/{NEW}/dists/bookworm/Release"
    with running_server(config) as server, _connections(server, workers) as conns:
        before = _fast_answers(server.url)
        for _ in range(3):  # the full path, then the hot path (its check proven, then used)
            assert {status for status, _ in _all(conns, path)} == {404}
        time.sleep(1.2)  # the metrics are folded each second
        assert _fast_answers(server.url) > before
        for _ in range(3):  # again: the full path re-reads the archive once a second
            assert {status for status, _ in _all(conns, path)} == {404}
        appear(host)  # within that second: the hot path's own check must see it
        release = host / "snapshots/debian/dists/bookworm/snapshots" / NEW / "Release"
        assert _all(conns, path) == {(200, release.read_bytes())}
        assert _all(conns, path) == {(200, release.read_bytes())}
