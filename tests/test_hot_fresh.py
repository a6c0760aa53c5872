"""The hot path is never stale: a file replaced, truncated or removed between two requests is
answered from disk on the very next request, on connections whose worker has kept its answer,
with one worker and with several (README: Serving at speed, the hot path)."""

from __future__ import annotations

import http.client
import os
import re
import shutil
from pathlib import Path

import pytest

from snapfront.sample import SampleHost
from tests.support import running_server

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
    with running_server(config) as server:
        port = int(server.url.rsplit(":", 1)[1].strip("/"))
        conns = [
            http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            for _ in range(CONNECTIONS_PER_WORKER * workers)
        ]
        try:
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
        finally:
            for conn in conns:
                conn.close()
