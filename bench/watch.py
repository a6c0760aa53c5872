"""The watcher at scale: change-to-served latency, its memory and idle CPU on 100,000 files.

    python3 bench/watch.py [--dir DIR] [--changes 60] [--idle 20] [--results bench/RESULTS-watch.md]

Makes (once) the release tree of bench/generator.py, 2,000 directories holding 100,000 small
files, and serves it with `snapfront serve` and its watcher at the default [watch] settings
(quiet 0.5 s, max_wait 5 s). Each change writes one new file into a directory picked at random
and polls that directory's page over HTTP until it lists the file: the latency runs from the
end of the write to the first response that lists it. Changes are spaced so each is a batch
of its own. Then the watcher process's RSS, its inotify watches and its CPU time over an idle
period, scaled to a minute. The files written are removed at the end.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generator import DIRS, FILES, make_tree
from bench.loads import free_port, rss_mb, wait_for_port
from bench.run import machine
from snapfront.base.config import load
from snapfront.generator.build import Builder
from tests.support import family

TICK = os.sysconf("SC_CLK_TCK")
BATCH = re.compile(r"watch: (\d+) paths changed: .*; ([\d.]+) s$")


def watcher_pid(server: int) -> int:
    """The descendant of `snapfront serve` that holds an inotify instance (serve → keeper →
    watcher)."""
    for pid in family(server)[1:]:
        fds = os.listdir(f"/proc/{pid}/fd")
        if any(os.readlink(f"/proc/{pid}/fd/{fd}") == "anon_inode:inotify" for fd in fds):
            return pid
    raise RuntimeError("no watcher process")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def watches(pid: int) -> int:
    total = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        if os.readlink(f"/proc/{pid}/fd/{fd}") == "anon_inode:inotify":
            with open(f"/proc/{pid}/fdinfo/{fd}") as fh:
                total += sum(1 for line in fh if line.startswith("inotify wd:"))
    return total


def lists(conn: http.client.HTTPConnection, path: str, name: bytes) -> bool:
    conn.request("GET", path)
    return name in conn.getresponse().read()


def latency(root: Path, port: int, folder: Path, name: str, timeout: float = 10.0) -> float:
    """Write `name` into `folder`, then poll its page until it lists it: seconds between."""
    path = "/" + str(folder.relative_to(root)) + "/"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        (folder / name).write_bytes(b"release\n")
        written = time.monotonic()
        while not lists(conn, path, name.encode()):
            if time.monotonic() - written > timeout:
                raise RuntimeError(f"{path} never listed {name}")
            time.sleep(0.005)
        return time.monotonic() - written
    finally:
        conn.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/snapfront-bench-watch"))
    parser.add_argument("--changes", type=int, default=60)
    parser.add_argument("--idle", type=float, default=20.0, help="seconds (scaled to 60)")
    parser.add_argument("--results", type=Path,
                        default=Path(__file__).with_name("RESULTS-watch.md"))  # fmt: skip
    args = parser.parse_args()
    top = args.dir.resolve()
    root = top / "releases"
    started = time.monotonic()
    fresh = not (root / "done").exists()
    make_tree(root)
    made = f"made in {time.monotonic() - started:.0f} s" if fresh else "made by an earlier run"
    port = free_port()
    config = top / "snapfront.toml"
    config.write_text(f'[server]\nlisten = "127.0.0.1:{port}"\noutput = "output"\n'
                      '[[mount]]\nurl = "/"\nkind = "files"\nroot = "releases"\n')  # fmt: skip
    log = top / "serve.log"
    folders = sorted(p for p in (root / "project").iterdir() if p.is_dir())
    rng = random.Random(5)
    written: list[Path] = []
    with open(log, "w") as err:
        started = time.monotonic()
        server = subprocess.Popen(
            [sys.executable, "-m", "snapfront.cli", "serve", "--config", str(config)],
            stdout=subprocess.DEVNULL, stderr=err,
            cwd=Path(__file__).resolve().parent.parent,
        )  # fmt: skip
    try:
        wait_for_port(port, timeout=600)
        ready = time.monotonic() - started
        pid = watcher_pid(server.pid)
        rss_start = rss_mb(pid)
        time.sleep(2.0)  # the first build's late look at young files, if any
        seconds = []
        for i in range(args.changes):
            folder = rng.choice(folders)
            seconds.append(latency(root, port, folder, f"bench-change-{i}.tar.gz"))
            written.append(folder / f"bench-change-{i}.tar.gz")
            time.sleep(1.0)  # the batch's feed is written after the page: let it finish
        rss_after = rss_mb(pid)
        time.sleep(2.0)
        cpu_before, idle_start = cpu_seconds(pid), time.monotonic()
        time.sleep(args.idle)
        idle_cpu = (cpu_seconds(pid) - cpu_before) * 60 / (time.monotonic() - idle_start)
        held = watches(pid)
    finally:
        for path in written:
            path.unlink(missing_ok=True)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    builder = Builder(load(str(config)))  # the periodic rescan, in this process
    builder.full()
    started = time.monotonic()
    builder.full()
    rescan = time.monotonic() - started
    batches = [float(m.group(2)) for m in map(BATCH.search, log.read_text().splitlines()) if m]
    table = "\n".join([
        f"Tree: {DIRS:,} directories, {FILES:,} files ({made}); one files mount; "
        "[watch] defaults: quiet 0.5 s, max_wait 5 s, rescan 600 s",
        "",
        "| measure | value |",
        "|---|---:|",
        f"| start to listening (first full build by the watcher), s | {ready:.1f} |",
        f"| changes measured | {len(seconds)} |",
        f"| latency, last write → page served listing it, p50, s | {percentile(seconds, .5):.3f} |",
        f"| latency p99, s | {percentile(seconds, .99):.3f} |",
        f"| latency max, s | {max(seconds):.3f} |",
        f"| batch build time (page, parent page, feed), median / max, s | "
        f"{statistics.median(batches):.3f} / {max(batches):.3f} |",
        f"| rescan finding nothing changed (every `rescan` s), s | {rescan:.1f} |",
        f"| watcher RSS after the first build, MB | {rss_start:.0f} |",
        f"| watcher RSS after the changes, MB | {rss_after:.0f} |",
        f"| inotify watches held | {held:,} |",
        f"| watcher CPU per idle minute, s (measured over {args.idle:g} s, scaled) | "
        f"{idle_cpu:.3f} (clock tick {1 / TICK:g} s) |",
    ])  # fmt: skip
    print(table)
    args.results.write_text(
        f"# Watcher benchmark\n\nMachine: {machine()}\n\n"
        f"Command: `python3 bench/watch.py --changes {args.changes} --idle {args.idle:g}`\n\n"
        f"{table}\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
