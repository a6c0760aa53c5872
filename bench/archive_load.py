"""The load measurements of bench/archive.py: many clients (bodies checked), and wrk on small
files; snapfront and nginx in the same run, one after the other."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

from bench.archive_clients import RCVBUF
from bench.archive_measures import Row, Run, judged
from bench.archive_serve import Sampler
from bench.archive_tree import CODENAMES, DOWNLOAD, DOWNLOAD_SIZE
from bench.loads import ROOT, wrk


def client(args: list[str]) -> dict:
    cmd = [sys.executable, str(ROOT / "bench" / "archive_clients.py"), *args]
    return json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def many_clients(run: Run) -> list[Row]:
    """COUNT rate-limited downloads of the 270 KB .deb at once, then COUNT/10 kept-alive
    connections fetching small index files for `duration` s; RSS and descriptors sampled."""
    session, tree = run.servers(), run.tree
    count = max(10, round(10_000 * run.scale))
    keep = max(10, round(1_000 * run.scale))
    ramp = 2.0 * count / 10_000
    sha = _sha(tree.basedir / DOWNLOAD)
    serial = tree.serials[-1]
    small = []
    for codename in CODENAMES[:2]:
        for name in ("Release", "InRelease", "main/binary-amd64/Release"):
            rel = f"dists/{codename}/snapshots/{serial}/{name}"
            small.append(f"/debian/{serial}/dists/{codename}/{name}={_sha(tree.basedir / rel)}")
    results = {}
    for name in session.names:
        port = str(session.ports[name])
        with Sampler(session.pid(name)) as sampler:
            down = client(
                ["download", port, f"/debian/{DOWNLOAD}", sha, str(count), str(run.rate), str(ramp)]
            )
            loop = client(["keepalive", port, str(keep), str(run.duration), *small])
        results[name] = (down, loop, sampler)
        run.notes.append(
            f"{name}, many clients: downloads {down['ok']}/{count} correct in "
            f"{down['seconds']:.1f} s, failures {down['failures'] or 'none'}; keep-alive "
            f"{loop['ok']:,} correct bodies, failures {loop['failures'] or 'none'}, "
            f"{loop['reconnects']} reconnects (server closed a kept-alive connection); RSS of all "
            f"processes {sampler.before[0]:.0f} → peak {sampler.peak[0]:.0f} MB, descriptors "
            f"{sampler.before[1]} → peak {sampler.peak[1]}"
        )
    s_down, s_loop, s_use = results["snapfront"]
    n_down, n_loop, n_use = results["nginx"]

    def mbps(down: dict) -> float:
        return down["bytes"] / down["seconds"] / 1e6

    def growth(use: Sampler) -> float:
        return use.peak[0] - use.before[0]

    all_ok = s_down["ok"] == count and not s_down["failures"]
    loop_ok = not s_loop["failures"]
    return [
        Row(
            f"{count:,} downloads of {DOWNLOAD_SIZE // 1024} KB at {run.rate / 1024:.0f} KiB/s "
            "each: complete and correct",
            f"{s_down['ok']:,}",
            f"{n_down['ok']:,}",
            f"all {count:,}",
            judged(all_ok),
        ),
        Row(
            "  aggregate MB/s (bytes / first connect to last byte)",
            f"{mbps(s_down):.1f}",
            f"{mbps(n_down):.1f}",
            "≥ 0.8 x nginx",
            judged(mbps(s_down) >= 0.8 * mbps(n_down)),
        ),
        Row(
            "  RSS growth of all server processes, MB",
            f"{growth(s_use):.0f}",
            f"{growth(n_use):.0f}",
            "≤ 100 MB",
            judged(growth(s_use) <= 100),
        ),
        Row(
            "  open descriptors of all server processes, peak",
            f"{s_use.peak[1]:,}",
            f"{n_use.peak[1]:,}",
        ),
        Row(
            f"{keep:,} kept-alive clients, small index files: correct bodies/s",
            f"{s_loop['requests_per_second']:,.0f}",
            f"{n_loop['requests_per_second']:,.0f}",
            "all correct",
            judged(loop_ok),
        ),
    ]


def small_files(run: Run) -> list[Row]:
    """wrk -t2 -c64 on a snapshot Release and on a 404, interleaved rounds, best kept."""
    session, tree = run.servers(), run.tree
    serial = tree.serials[-1]
    release = tree.snapshot(CODENAMES[0], serial) / "Release"
    rows = []
    for label, path, share in [
        (
            f"{release.stat().st_size:,} B snapshot Release",
            f"/debian/{serial}/dists/{CODENAMES[0]}/Release",
            0.5,
        ),
        ("404", f"/debian/{serial}/dists/{CODENAMES[0]}/nonexistent", 0.4),
    ]:
        best: dict[str, tuple[float, float]] = {}
        for _ in range(2):
            for name in session.names:
                got = wrk(session.url(name, path), run.duration, threads=2, connections=64)
                best[name] = max(best.get(name, (0.0, 0.0)), got)
        ratio = best["snapfront"][0] / best["nginx"][0]
        rows.append(
            Row(
                f"wrk -t2 -c64, {label}: req/s (x nginx)",
                f"{best['snapfront'][0]:,.0f} ({ratio:.2f} x)",
                f"{best['nginx'][0]:,.0f}",
                f"≥ {share} x nginx",
                judged(ratio >= share),
            )
        )
        rows.append(
            Row("  p99 latency, ms", f"{best['snapfront'][1]:.1f}", f"{best['nginx'][1]:.1f}")
        )
    run.notes.append(
        f"client sockets of the download test take {RCVBUF // 1024} KiB receive "
        "buffers, so a server holds most of each body while the client reads slowly"
    )
    return rows
