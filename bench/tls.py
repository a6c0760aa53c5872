"""1 GiB over HTTPS: snapfront's TLS listener beside nginx with the same certificate, one run.

    python3 bench/tls.py [--workers N] [--rounds R] [--dir DIR] [--results bench/RESULTS-tls.md]

Builds the sample host and its 1 GiB random tarball (as bench/run.py does), a CA and a leaf
with the real openssl (tests/tls_support.py), serves the tree with snapfront (`tls_listen`)
and with nginx (the server block `snapfront rules` exports, made to listen with `ssl` and
Mozilla's intermediate settings), and downloads the tarball with curl over HTTPS, one stream
and four at once, interleaved, best of the rounds: MB/s, the ratio, and the CPU seconds the
servers spent per GiB sent (curl decrypts on the same cores); then each server's RSS growth
while 64 clients at 20 MB/s each download it over HTTPS. Plain HTTP, one stream, is the
reference row. Prints a table and writes it, with the machine, to --results.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loads import (
    ROOT,
    download_mbps,
    free_port,
    rss_during_downloads,
    start_nginx,
    stop_all,
    wait_for_port,
)
from bench.run import BIG, build_tree, machine, ratio
from snapfront.server.tls import CIPHERS
from tests.support import family, running_server
from tests.tls_support import Leaf, make_authority, with_tls

GIB = 1 << 30
NGINX_TLS = """listen 127.0.0.1:{port} ssl;
    ssl_certificate {chain};
    ssl_certificate_key {key};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers {ciphers};
    ssl_prefer_server_ciphers off;
    ssl_session_tickets off;"""


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of `pids` so far (a process gone meanwhile counts 0)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def nginx_edit(port: int, leaf: Leaf) -> Callable[[str], str]:
    def edit(rules: str) -> str:
        tls = NGINX_TLS.format(port=port, chain=leaf.chain, key=leaf.key, ciphers=CIPHERS)
        return rules.replace(f"listen 127.0.0.1:{port};", tls, 1)

    return edit


@contextmanager
def servers(tree: Path, leaf: Leaf, workers: int) -> Iterator[dict[str, tuple[str, int]]]:
    """name -> (base URL, root pid): snapfront (http and https) and nginx (https)."""
    text = (
        (tree / "snapfront.toml")
        .read_text()
        .replace("[server]\n", f"[server]\nworkers = {workers}\n", 1)
    )
    (tree / "bench-tls-base.toml").write_text(text)
    config = with_tls(tree / "bench-tls-base.toml", leaf, tree / "bench-tls.toml")
    work = Path(tempfile.mkdtemp(prefix="snapfront-bench-tls-"))
    port = free_port()
    nginx = start_nginx(work, config, port, workers, edit=nginx_edit(port, leaf))
    try:
        with running_server(config, tls=True, timeout=120) as snapfront:
            wait_for_port(port)
            pid = snapfront.process.pid
            yield {
                "snapfront": (snapfront.tls_url.rstrip("/"), pid),
                "snapfront http": (snapfront.url.rstrip("/"), pid),
                "nginx": (f"https://127.0.0.1:{port}", nginx.pid),
            }
    finally:
        stop_all([nginx], timeout=20)


class Family:
    """What bench.loads.rss_during_downloads asks of the servers: their processes and URLs."""

    def __init__(self, urls: dict[str, tuple[str, int]]) -> None:
        self.urls = urls

    def pids(self, name: str) -> list[int]:
        return family(self.urls[name][1])

    def url(self, name: str, path: str) -> str:
        return self.urls[name][0] + path


def rss_growth(urls: dict[str, tuple[str, int]], name: str, ca: Path) -> float:
    """MB the server's processes grew, summed, while 64 slow HTTPS downloads ran."""
    before, peak = rss_during_downloads(Family(urls), name, "/" + BIG, 64, 6.0, "--cacert", str(ca))
    return sum(peak) - sum(before)


def measure(url: str, pid: int, streams: int, ca: Path) -> tuple[float, float]:
    """(MB/s, server CPU seconds per GiB) of `streams` downloads of the tarball at once."""
    pids = family(pid)
    before = cpu_seconds(pids)
    mbps = download_mbps(f"{url}/{BIG}", streams, "--cacert", str(ca))
    return mbps, (cpu_seconds(pids) - before) / streams


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds; best kept")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/snapfront-bench"))
    parser.add_argument("--results", type=Path, default=Path(__file__).with_name("RESULTS-tls.md"))
    args = parser.parse_args(argv)
    os.environ["PYTHONPATH"] = str(ROOT)  # `snapfront serve` runs this checkout

    tree = build_tree(args.dir.resolve())
    authority = make_authority(tree / "tls")
    leaf = authority.issue("bench")
    runs = [("1 stream", "snapfront", 1), ("1 stream", "nginx", 1), ("4 streams", "snapfront", 4),
            ("4 streams", "nginx", 4), ("1 stream", "snapfront http", 1)]  # fmt: skip
    best: dict[tuple[str, str], tuple[float, float]] = {}
    with servers(tree, leaf, args.workers) as urls:
        for _ in range(args.rounds):
            for label, name, streams in runs:
                url, pid = urls[name]
                got = measure(url, pid, streams, authority.cert)
                key = (label, name)
                best[key] = max(best.get(key, got), got)
        growth = {name: rss_growth(urls, name, authority.cert) for name in ("nginx", "snapfront")}
    table = render(best, growth, args.workers)
    print(table)
    version = subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout
    args.results.write_text(
        "# 1 GiB over HTTPS: snapfront beside nginx\n\n"
        f"Machine: {machine()}, {version.strip()}\n\n"
        f"Command: `python3 bench/tls.py --workers {args.workers} --rounds {args.rounds}`\n\n"
        + table
        + "\n"
    )
    return 0


def render(
    best: dict[tuple[str, str], tuple[float, float]], growth: dict[str, float], workers: int
) -> str:
    lines = [
        f"workers={workers} (both servers), curl on the same machine, best of the rounds\n",
        "| 1 GiB download | nginx MB/s | snapfront MB/s | snapfront/nginx "
        "| nginx CPU s/GiB | snapfront CPU s/GiB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label in ("1 stream", "4 streams"):
        n, s = best[(label, "nginx")], best[(label, "snapfront")]
        lines.append(
            f"| HTTPS, {label} | {n[0]:,.0f} | {s[0]:,.0f} | {ratio(s[0], n[0])} "
            f"| {n[1]:.2f} | {s[1]:.2f} |"
        )
    h = best[("1 stream", "snapfront http")]
    lines.append(f"| plain HTTP, 1 stream (sendfile) | - | {h[0]:,.0f} | - | - | {h[1]:.2f} |")
    lines += [
        "",
        "| 64 HTTPS downloads at 20 MB/s each, 6 s | nginx | snapfront |",
        "|---|---:|---:|",
        f"| RSS growth, MB (all processes) | {growth['nginx']:.1f} | {growth['snapfront']:.1f} |",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
