"""snapfront beside nginx and aiohttp's in-memory ceiling, in one run, interleaved.

    python3 bench/run.py [--workers N] [--duration S] [--dir DIR] [--results bench/RESULTS.md]

Builds the sample host (real reprepro + gpg) plus a 1 GiB random tarball, starts nginx with
the config `snapfront rules` exports, snapfront with the same worker count, and the in-memory
reference handler, then measures with bounded wrk and curl runs: req/s and p99 for small
files, 404s and 304s; MB/s for 4 parallel 1 GiB downloads; RSS during 64 concurrent
downloads; the wall time of a real `apt-get update`. Prints a table and writes it (with the
machine it ran on) to --results.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loads import (
    Servers,
    apt_update_seconds,
    download_mbps,
    rss_during_downloads,
    wrk,
)
from snapfront.sample import build_sample_host

BIG = "big/release-1GiB.tar.gz"


def build_tree(directory: Path) -> Path:
    """The sample host, once, plus a 1 GiB incompressible tarball in its files tree."""
    if not (directory / "snapfront.toml").exists():
        build_sample_host(directory)
    big = directory / "releases" / BIG
    if not big.exists() or big.stat().st_size != 1 << 30:
        big.parent.mkdir(parents=True, exist_ok=True)
        with open(big.with_suffix(".part"), "wb") as fh:
            for _ in range(64):
                fh.write(os.urandom(16 << 20))
        os.replace(big.with_suffix(".part"), big)
    return directory


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((ln.split(":", 1)[1].strip() for ln in cpuinfo if ln.startswith("model name")), "")
    nginx = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip()
    import aiohttp

    return (
        f"{os.cpu_count()} CPUs ({cpu}), {platform.platform()}, "
        f"Python {platform.python_version()}, aiohttp {aiohttp.__version__}, {nginx}"
    )


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a and b else "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds; best kept")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/snapfront-bench"))
    parser.add_argument("--results", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    args = parser.parse_args(argv)

    tree = build_tree(args.dir.resolve())
    rows: list[tuple[str, dict[str, float | None]]] = []
    with Servers(tree, args.workers, args.loop) as servers:
        serial = servers.serial
        small = f"/debian/{serial}/dists/bookworm/Release"
        deb = servers.deb_url
        for label, path, header in [
            ("small snapshot file (Release) req/s", small, None),
            ("pool .deb req/s", deb, None),
            ("404 req/s", f"/debian/{serial}/dists/bookworm/nonexistent", None),
            ("conditional GET → 304 req/s", small, "etag"),
        ]:
            results: dict[str, list[tuple[float, float]]] = {}
            for _ in range(args.rounds):
                for name in servers.names:
                    if (
                        name == "ceiling"
                        and path not in servers.ceiling_paths
                        and "404" not in label
                    ):
                        continue
                    hdr = f"If-None-Match: {servers.etag(name, path)}" if header else None
                    results.setdefault(name, []).append(
                        wrk(servers.url(name, path), args.duration, hdr)
                    )
            best = {n: max(r) for n, r in results.items()}
            rows.append((label, {n: b[0] for n, b in best.items()}))
            rows.append((label.replace("req/s", "p99 ms"), {n: b[1] for n, b in best.items()}))
        mbps: dict[str, list[float]] = {}
        for _ in range(args.rounds):
            for name in ("nginx", "snapfront"):
                mbps.setdefault(name, []).append(download_mbps(servers.url(name, "/" + BIG), 4))
        rows.append(("4 parallel 1 GiB downloads MB/s", {n: max(v) for n, v in mbps.items()}))
        for name in ("nginx", "snapfront"):
            before, during = rss_during_downloads(servers, name, "/" + BIG, 64)
            rows.append((f"RSS per process before, MB ({name})", {name: max(before)}))
            rows.append(
                (
                    f"RSS growth per process during 64 downloads, MB ({name})",
                    {name: max(d - b for b, d in zip(before, during, strict=True))},
                )
            )
        walls: dict[str, list[float]] = {}
        for _ in range(max(3, args.rounds)):
            for name in ("nginx", "snapfront"):
                walls.setdefault(name, []).append(apt_update_seconds(tree, servers.url(name, "")))
        rows.append(
            (
                "apt-get update, 3 sources, s (median)",
                {n: statistics.median(v) for n, v in walls.items()},
            )
        )

    table = render(rows, args.workers, args.loop, args.duration)
    print(table)
    args.results.write_text(
        "# Benchmark results\n\n"
        f"Machine: {machine()}\n\n"
        f"Command: `python3 bench/run.py --workers {args.workers} --duration {args.duration:g} "
        f"--rounds {args.rounds}{' --loop uvloop' if args.loop == 'uvloop' else ''}`\n\n"
        + table
        + "\n\nThe generator and the watcher have their own runs: RESULTS-generator.md "
        "(`bench/generator.py`) and RESULTS-watch.md (`bench/watch.py`).\n"
    )
    return 0


def render(rows, workers: int, loop: str, duration: float) -> str:
    head = (
        f"workers={workers}, loop={loop}, wrk {duration:g} s per run, best of the rounds\n\n"
        "| measure | nginx | snapfront | ceiling | snapfront/nginx | snapfront/ceiling |\n"
        "|---|---:|---:|---:|---:|---:|\n"
    )
    lines = []
    for label, values in rows:

        def fmt(v: float | None) -> str:
            if v is None:
                return "-"
            return f"{v:,.0f}" if v >= 100 else f"{v:.2f}"

        n, s, c = values.get("nginx"), values.get("snapfront"), values.get("ceiling")
        lines.append(
            f"| {label} | {fmt(n)} | {fmt(s)} | {fmt(c)} | {ratio(s, n)} | {ratio(s, c)} |"
        )
    return head + "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
