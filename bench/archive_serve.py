"""The servers of bench/archive.py: `snapfront serve` (its watcher on) and nginx with the rules
snapfront exports, both with `workers = auto` and room for 16,384 connections per worker, so
the many-clients test measures serving rather than a connection limit. Always stopped."""

from __future__ import annotations

import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.archive_tree import Tree
from bench.loads import ROOT, start_nginx, stop_all, wait_for_port
from bench.watch import watcher_pid
from tests.support import family

CONNECTIONS = 16_384


def write_config(tree: Tree, port: int) -> Path:
    config = tree.top / "snapfront.toml"
    config.write_text(
        f'[server]\nlisten = "127.0.0.1:{port}"\noutput = "output"\nworkers = "auto"\n'
        f"max_connections = {CONNECTIONS}\n\n"
        '[[mount]]\nurl = "/debian/"\nkind = "snapshots"\nroot = "tree/debian"\n'
        'keyring = "tree/keyring.gpg"\n\n'
        '[[mount]]\nurl = "/releases/"\nkind = "files"\nroot = "tree/releases"\n'
    )
    return config


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def usage(pids: list[int]) -> tuple[float, int]:
    """(RSS in MB summed over `pids`, open descriptors summed); vanished processes count 0."""
    rss, fds = 0.0, 0
    for pid in pids:
        try:
            rss += status_kb(pid, "VmRSS") / 1024
            fds += len(os.listdir(f"/proc/{pid}/fd"))
        except OSError:
            continue
    return rss, fds


class Sampler:
    """Peak RSS and descriptor count of a process family, sampled every 0.2 s in a thread."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.before = usage(family(root))
        self.peak = self.before
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            rss, fds = usage(family(self.root))
            self.peak = (max(self.peak[0], rss), max(self.peak[1], fds))


class Session:
    """snapfront and nginx serving the tree; `serve_seconds` is start to listening."""

    names = ("snapfront", "nginx")

    def __init__(self, tree: Tree, ports: dict[str, int]) -> None:
        self.tree, self.ports = tree, ports
        self.procs: dict[str, subprocess.Popen] = {}
        self.work = Path(tempfile.mkdtemp(prefix="snapfront-bench-archive-"))
        self.log = tree.top / "serve.log"
        self.config = write_config(tree, self.ports["snapfront"])

    def __enter__(self) -> Session:
        try:
            start = time.monotonic()
            with open(self.log, "w") as log:
                self.procs["snapfront"] = subprocess.Popen(
                    [sys.executable, "-m", "snapfront.cli", "serve", "--config", str(self.config)],
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                    cwd=ROOT,
                )
            self.procs["nginx"] = start_nginx(
                self.work, self.config, self.ports["nginx"], "auto", CONNECTIONS
            )
            for name in self.names:
                wait_for_port(self.ports[name], timeout=3600)
            self.serve_seconds = time.monotonic() - start
            time.sleep(1.0)  # every worker up
            self.watcher = watcher_pid(self.procs["snapfront"].pid)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        stop_all(self.procs.values(), timeout=60)
        shutil.rmtree(self.work, ignore_errors=True)

    def url(self, name: str, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}{path}"

    def pid(self, name: str) -> int:
        return self.procs[name].pid

    def get(self, path: str, name: str = "snapfront") -> bytes:
        conn = http.client.HTTPConnection("127.0.0.1", self.ports[name], timeout=30)
        try:
            conn.request("GET", path)
            return conn.getresponse().read()
        finally:
            conn.close()
