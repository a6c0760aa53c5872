"""The servers under test and the bounded loads run against them (wrk, curl, apt-get)."""

from __future__ import annotations

import http.client
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from tests.apt_client import AptRoot

ROOT = Path(__file__).resolve().parent.parent
NGINX_WRAPPER = """worker_processes {workers};{main}
pid {dir}/nginx.pid;
error_log {dir}/error.log;
daemon off;
worker_rlimit_nofile {nofile};
events {{ worker_connections {connections}; }}
http {{
    access_log {dir}/access.log{log};
    sendfile on;
    tcp_nopush on;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include {dir}/server.conf;
}}
"""


TUNED_MAIN = "\npcre_jit on;"
"""Regular expressions compiled to machine code: without it (nginx's default) the exported
rules' regex locations make nginx CPU-bound near a third of its speed on a small file."""
TUNED_LOG = " combined buffer=4k flush=200ms"
"""Log lines written in batches, as snapfront writes its own (server/access_log.py)."""


def nginx_wrapper(
    workers: int | str, directory: Path, connections: int = 4096, tuned: bool = False
) -> str:
    """nginx.conf around DIR/server.conf: `workers` processes ("auto" allowed), each holding
    up to `connections` connections (and twice as many descriptors); `tuned`: with PCRE JIT
    and a buffered access log, nginx as fast as it serves these rules."""
    return NGINX_WRAPPER.format(
        workers=workers, dir=directory, connections=connections, nofile=2 * connections,
        main=TUNED_MAIN if tuned else "", log=TUNED_LOG if tuned else "",
    )  # fmt: skip


def start_nginx(
    work: Path,
    config: Path,
    port: int,
    workers: int | str,
    connections: int = 4096,
    edit: Callable[[str], str] = str,
    tuned: bool = False,
) -> subprocess.Popen:
    """nginx on 127.0.0.1:PORT with the server block `snapfront rules` exports for CONFIG
    (passed through `edit`: bench/tls.py makes it speak TLS)."""
    rules = subprocess.run(
        [sys.executable, "-m", "snapfront.cli", "rules", "--config", str(config),
         "--listen", f"127.0.0.1:{port}"],
        capture_output=True, text=True, check=True, cwd=ROOT,
    ).stdout  # fmt: skip
    (work / "server.conf").write_text(edit(rules))
    (work / "nginx.conf").write_text(nginx_wrapper(workers, work, connections, tuned))
    return subprocess.Popen(
        ["nginx", "-p", str(work), "-c", str(work / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


class Servers:
    """nginx, snapfront and the ceiling, each on its own free port, always stopped."""

    names: tuple[str, ...] = ("nginx", "snapfront", "ceiling")

    def __init__(
        self,
        tree: Path,
        workers: int,
        loop: str,
        *,
        ceiling: bool = True,
        fast_path: bool = True,
        tuned_nginx: bool = False,
    ) -> None:
        """`fast_path`: SNAPFRONT_FAST_PATH for snapfront; `tuned_nginx`: nginx_wrapper's."""
        self.tree, self.workers, self.loop = tree, workers, loop
        if not ceiling:
            self.names = ("nginx", "snapfront")
        self.fast_path, self.tuned_nginx = fast_path, tuned_nginx
        self.ports = {name: free_port() for name in self.names}
        self.procs: dict[str, subprocess.Popen] = {}
        self.work = Path(tempfile.mkdtemp(prefix="snapfront-bench-"))
        snaps = tree / "snapshots" / "debian" / "dists" / "bookworm" / "snapshots"
        self.serial = sorted(p.name for p in snaps.iterdir())[0]
        deb = next((tree / "snapshots" / "debian" / "pool").rglob("*.deb"))
        self.deb_url = (
            "/debian/" + self.serial + "/" + str(deb.relative_to(tree / "snapshots" / "debian"))
        )
        release = snaps / self.serial / "Release"
        self.ceiling_files = {
            f"/debian/{self.serial}/dists/bookworm/Release": release,
            self.deb_url: deb,
        }
        self.ceiling_paths = set(self.ceiling_files)

    def __enter__(self) -> Servers:
        try:
            self._start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _start(self) -> None:
        config = self.tree / "bench.toml"  # beside the sample config: relative roots hold
        text = (self.tree / "snapfront.toml").read_text()
        listen = f'listen = "127.0.0.1:{self.ports["snapfront"]}"\nworkers = {self.workers}'
        config.write_text(re.sub(r'(?m)^listen = ".*"$', listen, text))
        env = {
            "SNAPFRONT_LOOP": self.loop,
            "PATH": "/usr/sbin:/usr/bin:/bin",
            "PYTHONPATH": str(ROOT),
            "SNAPFRONT_FAST_PATH": "1" if self.fast_path else "0",
        }
        with open(self.work / "snapfront.log", "w") as log:
            self.procs["snapfront"] = subprocess.Popen(
                [sys.executable, "-m", "snapfront.cli", "serve", "--config", str(config)],
                stdout=subprocess.DEVNULL,
                stderr=log,
                env=env,
                cwd=ROOT,
            )
        self.procs["nginx"] = start_nginx(
            self.work, config, self.ports["nginx"], self.workers, tuned=self.tuned_nginx
        )
        if "ceiling" not in self.names:
            return self._wait()
        specs = [f"{url}={path}" for url, path in self.ceiling_files.items()]
        self.procs["ceiling"] = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "bench" / "ceiling.py"),
                str(self.ports["ceiling"]),
                str(self.workers),
                *specs,
            ],
            stdout=subprocess.DEVNULL,
        )
        self._wait()

    def _wait(self) -> None:
        for name in self.names:
            wait_for_port(self.ports[name])
        time.sleep(0.5)  # let every worker come up

    def __exit__(self, *exc: object) -> None:
        stop_all(self.procs.values(), timeout=20)
        if "ceiling" in self.procs:
            subprocess.run(["pkill", "-f", str(ROOT / "bench" / "ceiling.py")], check=False)

    def url(self, name: str, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}{path}"

    def etag(self, name: str, path: str) -> str:
        conn = http.client.HTTPConnection("127.0.0.1", self.ports[name], timeout=10)
        conn.request("HEAD", path)
        etag = conn.getresponse().getheader("ETag") or ""
        conn.close()
        return etag

    def pids(self, name: str) -> list[int]:
        """The server's process and all its descendants (snapfront's workers are
        grandchildren of the process started here when there are several)."""
        found = [self.procs[name].pid]
        for pid in found:
            kids = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
            found.extend(map(int, kids.stdout.split()))
        return found


def wrk(
    url: str, duration: float, header: str | None = None, threads: int = 1, connections: int = 32
) -> tuple[float, float]:
    """(requests/s, p99 latency in ms) of a bounded wrk run (1 thread, 32 connections unless
    told otherwise)."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration:g}s", "--latency", url]
    if header:
        cmd[1:1] = ["-H", header]
    out = subprocess.run(
        cmd, capture_output=True, text=True, check=True, timeout=duration + 30
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    if "Non-2xx" in out and "404" not in url and "nonexistent" not in url and not header:
        raise RuntimeError(f"errors in wrk run against {url}:\n{out}")
    return rps, p99


def download_mbps(url: str, parallel: int, *options: str) -> float:
    """MB/s of `parallel` curl downloads of `url` at once (`options`: more curl options)."""
    start = time.monotonic()
    procs = [
        subprocess.Popen(
            ["curl", "-sf", *options, "-o", "/dev/null", "-w", "%{size_download}", url],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(parallel)
    ]
    sizes = [int(p.communicate(timeout=300)[0] or 0) for p in procs]
    elapsed = time.monotonic() - start
    if any(p.returncode for p in procs):
        raise RuntimeError(f"a download of {url} failed: curl exit {[p.returncode for p in procs]}")
    return sum(sizes) / elapsed / 1e6


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def rss_during_downloads(
    servers: Servers, name: str, path: str, count: int, seconds: float = 6.0, *options: str
) -> tuple[list[float], list[float]]:
    """RSS of each server process before, and its peak while `count` slow downloads run
    (`options`: more curl options). `servers` needs only `pids(name)` and `url(name, path)`."""
    pids = servers.pids(name)
    before = [rss_mb(p) for p in pids]
    peak = list(before)
    command = ["curl", "-s", *options, "-o", "/dev/null", "--limit-rate", "20M"]
    curls = [subprocess.Popen([*command, servers.url(name, path)]) for _ in range(count)]
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            peak = [max(p, rss_mb(pid)) for p, pid in zip(peak, pids, strict=True)]
            time.sleep(0.2)
    finally:
        for c in curls:
            c.kill()
            c.wait()
    return before, peak


def apt_update_seconds(tree: Path, base: str) -> float:
    """Wall time of a real `apt-get update` over three sources, from an empty APT state."""
    keyring = tree / "keyring.gpg"
    snaps = tree / "snapshots" / "debian" / "dists" / "bookworm" / "snapshots"
    old, new = sorted(p.name for p in snaps.iterdir())[:2]
    sources = [
        f"deb [signed-by={keyring}] {base}/debian/{old}/ bookworm main",
        f"deb [signed-by={keyring}] {base}/debian/{new}/ jessie/updates main",
        f"deb [signed-by={keyring}] {base}/apt/ bookworm-mediawiki main",
    ]
    apt = AptRoot(Path(tempfile.mkdtemp(prefix="snapfront-bench-apt-")), sources)
    start = time.monotonic()
    result = apt.run("update")
    elapsed = time.monotonic() - start
    if result.returncode or result.problems():
        raise RuntimeError(f"apt-get update against {base} failed:\n{result.output}")
    return elapsed


def stop_all(procs: Iterable[subprocess.Popen], timeout: float) -> None:
    """SIGTERM every server at once (they shut down in parallel), then wait; kill stragglers."""
    procs = list(procs)
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
