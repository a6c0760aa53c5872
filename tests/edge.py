"""A sample host of its own, served by snapfront behind a real cache, for tests that change it.

The session's `sample_host` is shared and must stay as built; these tests re-export, re-sign
and remove files, so each module builds its own host (about 1.5 s with reprepro and gpg).
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from snapfront import sample
from tests.apt_client import AptRoot
from tests.cdn import Proxy, free_port, running_varnish
from tests.support import Running, running_server, with_listen

PURGE_BATCH = re.compile(r"purge batch: (\d+) URLs \((\d+) index, (\d+) release, (\d+) page\)")
WATCH_QUIET = 0.2
"""[watch] quiet for these hosts: a reprepro export is a burst of a few milliseconds."""


class LogTail:
    """Reads a log file from where the last look ended: "wait for the next line like …"."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = path.stat().st_size if path.exists() else 0

    def skip(self) -> None:
        self.offset = self.path.stat().st_size

    def wait_for(self, pattern: re.Pattern[str], timeout: float = 20.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.path, encoding="utf-8", errors="replace") as fh:
                fh.seek(self.offset)
                text = fh.read()
            end = text.rfind("\n") + 1  # whole lines only
            for line in text[:end].splitlines():
                self.offset += len(line.encode()) + 1
                if match := pattern.search(line):
                    return match
            time.sleep(0.05)
        raise AssertionError(f"no line like {pattern.pattern!r} in {self.path} for {timeout} s")

    def wait_for_purge(self, timeout: float = 20.0) -> re.Match[str]:
        """The next purge batch that reached the Release family: the export is visible."""
        while True:
            match = self.wait_for(PURGE_BATCH, timeout)
            if int(match[3]):
                return match


@dataclass
class Edge:
    host: sample.SampleHost
    server: Running
    cache: Proxy
    log: LogTail

    @property
    def origin(self) -> str:
        return self.server.url.rstrip("/")

    def apt(self, root: Path, *lines: str) -> AptRoot:
        """An APT client whose sources go through the cache: `lines` are "PATH SUITE"."""
        signed = f"[signed-by={self.host.keyring}]"
        return AptRoot(root, [f"deb {signed} {self.cache.url}{line} main" for line in lines])

    def reprepro(self, *args: str) -> None:
        try:
            sample.reprepro(self.host.repository_root, self.host.gnupghome, *args)
        finally:
            sample.stop_agent(self.host.gnupghome)

    def gensnapshot(self, serial: str, *codenames: str) -> None:
        """A new snapshot serial of the snapshots mount, as Tails' cron takes one."""
        try:
            for codename in codenames:
                args = ("gensnapshot", codename, serial)
                sample.reprepro(self.host.snapshots_root, self.host.gnupghome, *args)
        finally:
            sample.stop_agent(self.host.gnupghome)

    def gpg(self, *args: str) -> None:
        env = {"GNUPGHOME": str(self.host.gnupghome), "LC_ALL": "C.UTF-8"}
        batch = ["gpg", "--batch", "--yes", "--no-tty", "--local-user", self.host.fingerprint]
        try:
            subprocess.run([*batch, *args], env=env, check=True, capture_output=True)
        finally:
            sample.stop_agent(self.host.gnupghome)


def edge_config(
    host: sample.SampleHost, name: str, purge_port: int | None, cache_host: str | None = None
) -> Path:
    """The host's config listening on a free port, with [[cdn]] when `purge_port` is given
    (its `hosts`: `cache_host`, by default the cache's own address)."""
    config = with_listen(host.config, "127.0.0.1:0", host.dir / f"{name}.toml")
    extra = f"\n[watch]\nquiet = {WATCH_QUIET}\nmax_wait = 2\n"
    if purge_port is not None:
        cache = f"127.0.0.1:{purge_port}"
        extra += f'\n[[cdn]]\npurge = "http://{cache}"\nhosts = ["{cache_host or cache}"]\n'
    config.write_text(config.read_text() + extra)
    return config


StartCache = Callable[[Path, int, int], AbstractContextManager[Proxy]]
"""(workdir, origin port, port) -> the running cache."""


@contextlib.contextmanager
def edge_behind(
    directory: Path, start: StartCache, purge: bool = True, cache_host: str | None = None
) -> Iterator[Edge]:
    """Build a host in `directory`, serve it, put a cache in front; stop both afterwards."""
    host = sample.build_sample_host(directory / "host")
    port = free_port()
    config = edge_config(host, "edge", port if purge else None, cache_host)
    with running_server(config) as server:
        origin_port = urlsplit(server.url).port
        assert origin_port is not None
        with start(directory / "cache", origin_port, port) as cache:
            yield Edge(host, server, cache, LogTail(server.log))


def edge_behind_varnish(directory: Path, purge: bool = True) -> AbstractContextManager[Edge]:
    return edge_behind(directory, running_varnish, purge)
