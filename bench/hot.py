"""The hot path beside nginx, in one run (issue 21's measures; needs `wrk`, Debian package wrk).

    python3 bench/hot.py [--duration 8] [--loop default] [--dir DIR] [--results FILE]

Per core: the server pinned to CPU 0 (`taskset`, every process of it), wrk to CPU 1 (`-t1
-c64`): the snapshot Release, a 304 for it (If-None-Match), a pool .deb, a 404 for an unknown
serial; snapfront with its hot path, and with SNAPFRONT_FAST_PATH=0 (the full path) beside it.
Whole machine: one worker per CPU (what `workers = "auto"` starts) and nginx `worker_processes
auto`, wrk `-t2 -c64` unpinned. Then 1 GiB downloads, one stream and four, and the RSS of every
process of each server. Prints a table, writes it with the load average to --results.

nginx runs the server block `snapfront rules` exports, with PCRE JIT and an access log written
in 4 KiB batches (bench.loads.TUNED_MAIN, TUNED_LOG): without them nginx spends its core on
interpreted regular expressions and a write per request. Each pinned run also gives the CPU
the server and wrk used (in % of a core): a server well below 100 % while wrk is near it means
the run measured wrk.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loads import Servers, download_mbps, rss_mb
from bench.run import BIG, build_tree, machine, ratio

UNKNOWN = "/debian/9999999999/dists/bookworm/Release"
DEB = "pool/main/b/bench/bench_1.0_all.deb"
DEB_SIZE = 270_000


def deb_url(tree: Path, serial: str) -> str:
    """A 270 KB file in the snapshots pool (the size of a typical small .deb), made once."""
    path = tree / "snapshots" / "debian" / DEB
    if not path.exists() or path.stat().st_size != DEB_SIZE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(DEB_SIZE))
    return f"/debian/{serial}/{DEB}"


CONNECTIONS = 64


def pin(pids: list[int], cpu: str) -> None:
    for pid in pids:
        subprocess.run(["taskset", "-a", "-p", "-c", cpu, str(pid)], check=True,
                       capture_output=True)  # fmt: skip


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time of these processes so far (all their threads)."""
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def wrk(url: str, duration: float, header: str | None, threads: int, cpu: str | None) -> Run:
    """One bounded wrk run; any answer of another status than expected fails."""
    cmd = ["wrk", f"-t{threads}", f"-c{CONNECTIONS}", f"-d{duration:g}s", url]
    if header:
        cmd[1:1] = ["-H", header]
    if cpu is not None:
        cmd = ["taskset", "-c", cpu, *cmd]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True,
                         timeout=duration + 30).stdout  # fmt: skip
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if "Non-2xx" in out and url.endswith(UNKNOWN) is False and not header:
        raise RuntimeError(f"errors in wrk run against {url}:\n{out}")
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert found, out
    return Run(float(found.group(1)), used / wall, wall)


@dataclass
class Run:
    rps: float
    client_cpu: float
    """wrk's CPU use, in cores (1.0: one core fully busy: then wrk, not the server, limits)."""
    wall: float


def measured(
    servers: Servers, name: str, url: str, header: str | None, duration: float
) -> tuple[float, str]:
    """(req/s, "server CPU / wrk CPU" in % of a core) of one pinned run against `name`."""
    pids = servers.pids(name)
    before = cpu_seconds(pids)
    run = wrk(url, duration, header, 1, "1")
    busy = (cpu_seconds(pids) - before) / run.wall
    return run.rps, f"{busy:.0%} / {run.client_cpu:.0%}"


def total_rss(servers: Servers, name: str) -> float:
    return sum(rss_mb(pid) for pid in servers.pids(name))


def per_core(
    tree: Path, duration: float, fast: bool, loop: str
) -> dict[str, dict[str, float | str]]:
    rows: dict[str, dict[str, float | str]] = {}
    with Servers(tree, 1, loop, ceiling=False, fast_path=fast, tuned_nginx=True) as servers:
        for name in ("nginx", "snapfront"):
            pin(servers.pids(name), "0")
        release = f"/debian/{servers.serial}/dists/bookworm/Release"
        for label, path, conditional in [
            ("Release", release, False), ("304 (If-None-Match)", release, True),
            ("270 KB pool .deb", deb_url(tree, servers.serial), False),
            ("404 unknown serial", UNKNOWN, False),
        ]:  # fmt: skip
            for name in ("nginx", "snapfront"):
                header = f"If-None-Match: {servers.etag(name, path)}" if conditional else None
                rps, busy = measured(servers, name, servers.url(name, path), header, duration)
                rows.setdefault(label, {})[name] = rps
                rows[label][f"{name} busy"] = busy
        rows["RSS MB, all processes, workers 1"] = {
            n: total_rss(servers, n) for n in ("nginx", "snapfront")
        }
    return rows


def whole_machine(tree: Path, duration: float, loop: str) -> dict[str, dict[str, float | str]]:
    rows: dict[str, dict[str, float | str]] = {}
    workers = os.cpu_count() or 1
    with Servers(tree, workers, loop, ceiling=False, tuned_nginx=True) as servers:
        release = f"/debian/{servers.serial}/dists/bookworm/Release"
        for name in ("nginx", "snapfront"):
            rps = wrk(servers.url(name, release), duration, None, 2, None).rps
            rows.setdefault("auto: Release (wrk -t2 -c64)", {})[name] = rps
        for streams in (1, 4):
            for name in ("nginx", "snapfront"):
                mbps = download_mbps(servers.url(name, "/" + BIG), streams)
                rows.setdefault(f"auto: 1 GiB, {streams} stream(s), MB/s", {})[name] = mbps
        rows["RSS MB, all processes, workers auto"] = {
            n: total_rss(servers, n) for n in ("nginx", "snapfront")
        }
    return rows


def render(rows: dict[str, dict[str, float | str]], full: dict[str, dict[str, float | str]]) -> str:
    lines = [
        "| measure | nginx | snapfront | snapfront/nginx | full path (FAST_PATH=0) | full/nginx "
        "| CPU server / wrk: nginx, snapfront, full path |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, values in rows.items():
        n, s = values.get("nginx"), values.get("snapfront")
        f = full.get(label, {}).get("snapfront")
        assert isinstance(n, float) and isinstance(s, float)
        busy = [v.get(f"{k} busy") for v, k in ((values, "nginx"), (values, "snapfront"),
                                                (full.get(label, {}), "snapfront"))]  # fmt: skip
        lines.append(
            f"| {label} | {n:,.0f} | {s:,.0f} | {ratio(s, n)} | "
            f"{f'{f:,.0f}' if isinstance(f, float) else '-'} | "
            f"{ratio(f, n) if isinstance(f, float) else '-'} | "
            f"{', '.join(str(b) for b in busy) if busy[0] else '-'} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per wrk run")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/snapfront-bench"))
    parser.add_argument(
        "--loop",
        choices=["default", "asyncio", "uvloop"],
        default="default",
        help="SNAPFRONT_LOOP for snapfront (default: uvloop where importable)",
    )
    parser.add_argument("--results", type=Path, default=Path(__file__).with_name("RESULTS-hot.md"))
    args = parser.parse_args(argv)
    tree = build_tree(args.dir.resolve())
    load_before = os.getloadavg()
    rows = per_core(tree, args.duration, True, args.loop)
    full = per_core(tree, args.duration, False, args.loop)
    rows |= whole_machine(tree, args.duration, args.loop)
    load_after = os.getloadavg()
    table = render(rows, full)
    print(table)
    args.results.write_text(
        "# The hot path beside nginx\n\n"
        f"Machine: {machine()}\n\n"
        f"Command: `python3 bench/hot.py --duration {args.duration:g} --loop {args.loop}`\n\n"
        f"Load average (1, 5, 15 min) before: {load_before}, after: {load_after} (a machine "
        "shared with other work: the figures are noisy)\n\n" + table + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
