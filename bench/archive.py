"""A Debian-sized archive: snapfront's build, watcher and serving at a million pool files.

    python3 bench/archive.py [--scale 1] [--only build,serial,...] [--dir DIR]
                             [--serials 20] [--duration 5] [--rate 65536] [--results FILE]

Makes (once per size, kept under DIR/tree; see bench/archive_tree.py) a Debian-shaped
snapshots basedir, by default 1,000,000 pool files in 40,000 source directories, three
codenames x 40 signed serials whose Packages list them, and a 100,000-file release tree;
`--scale 0.01` shrinks every count. Then runs the measures of issue 14, in this order:

  build    full `snapfront build` and a rebuild with nothing changed: wall time, peak RSS
           (wait4), output on disk (du, file count)
  serial   new serial → trace names it and the archive page lists it (watcher running)
  pool     1,000 pool files added → their directory pages list them
  cold     first byte of listing pages after emptying the kernel's caches (root)
  clients  10,000 rate-limited downloads, then 1,000 kept-alive clients, every body hashed;
           RSS and descriptors of all server processes; against nginx
  wrk      wrk -t2 -c64 on a snapshot Release and a 404, workers "auto" against nginx's auto
  watcher  the watcher's peak RSS after the measures above

and writes the targets table with the machine to --results. An `--only` run keeps the other
measures' rows from the last run on the same DIR (DIR/results.json) and says which command
produced which.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.archive_load import many_clients, small_files
from bench.archive_measures import MeasureFn, Row, Run, build, cold, new_serial, touch_pool, watcher
from bench.archive_tree import Sizes, make
from bench.run import machine

MEASURES: dict[str, MeasureFn] = {
    "build": build,
    "serial": new_serial,
    "pool": touch_pool,
    "cold": cold,
    "clients": many_clients,
    "wrk": small_files,
    "watcher": watcher,
}


def raise_nofile(want: int = 65_536) -> int:
    """Room for 10,000 client sockets here and as many server sockets in the children."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    for limit in (max(want, hard), hard):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
            return limit
        except (ValueError, OSError):
            continue
    return soft


def table(rows: list[Row]) -> str:
    lines = ["| measure | snapfront | nginx | target | met? |", "|---|---:|---:|---|---|"]
    lines += [f"| {r.measure} | {r.snapfront} | {r.nginx} | {r.target} | {r.met} |" for r in rows]
    return "\n".join(lines)


def describe(run: Run, made: str) -> str:
    s = run.tree.sizes
    return (
        f"Tree (scale {run.scale:g}): {s.pool_files:,} pool files in {s.source_dirs:,} source "
        f"directories ({s.big_dirs} of 600+ files), 3 codenames x {s.serials} serials, "
        f"{s.release_files:,} files in {s.release_dirs:,} directories in a files mount; {made}. "
        f'Servers: `workers = "auto"`, `max_connections = 16384`; nginx `worker_processes auto`, '
        f"`worker_connections 16384`, the config `snapfront rules` exports."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--only", default=",".join(MEASURES), help="comma-separated measures")
    parser.add_argument("--dir", type=Path, help="default /tmp/snapfront-bench-archive/SCALE")
    parser.add_argument("--serials", type=int, default=20, help="new serials timed (≤ 49)")
    parser.add_argument("--duration", type=float, default=5.0, help="s per wrk / keep-alive run")
    parser.add_argument("--rate", type=float, default=65_536.0, help="bytes/s per download")
    parser.add_argument(
        "--results", type=Path, default=Path(__file__).with_name("RESULTS-archive.md")
    )
    args = parser.parse_args(argv)
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(only) - set(MEASURES)
    if unknown or not 0 < args.scale <= 1 or not 1 <= args.serials <= 49:
        parser.error(f"unknown measures {sorted(unknown)}, or --scale/--serials out of range")
    nofile = raise_nofile()
    top = (args.dir or Path(f"/tmp/snapfront-bench-archive/{args.scale:g}")).resolve()
    started = time.monotonic()
    fresh = not (top / "tree" / "done").exists()
    tree = make(top, Sizes.scaled(args.scale))
    per_100k = tree.seconds["pool"] * 100_000 / tree.sizes.pool_files
    made = (
        f"made in {time.monotonic() - started:.0f} s" if fresh else "made by an earlier run"
    ) + (
        f" (pool {tree.seconds['pool']:.1f} s, {per_100k:.1f} s per 100k files; "
        f"signed snapshots {tree.seconds['snapshots']:.1f} s; "
        f"release tree {tree.seconds['releases']:.1f} s)"
    )
    print(made, flush=True)
    run = Run(tree, args.scale, args.serials, args.duration, args.rate)
    command = f"python3 bench/archive.py --scale {args.scale:g}"
    if only != list(MEASURES):
        command += f" --only {','.join(only)}"
    command += f" --serials {args.serials} --duration {args.duration:g} --rate {args.rate:g}"
    done: dict[str, dict] = {}
    try:
        for name in (n for n in MEASURES if n in only):
            done[name] = measure(run, name, command)
    finally:
        if run.session is not None:
            run.session.__exit__()
    kept = remember(top, done, partial=only != list(MEASURES))
    text = table([Row(**row) for entry in kept.values() for row in entry["rows"]])
    print(text)
    label = "" if args.scale == 1 else (
        f"**Scaled run (--scale {args.scale:g}): not the issue's full size; targets marked n/a "
        "hold for 1M files.**\n\n"
    )  # fmt: skip
    commands = dict.fromkeys(entry["command"] for entry in kept.values())
    runs = "".join(f"- `{c}`: {', '.join(n for n, e in kept.items() if e['command'] == c)}\n"
                   for c in commands)  # fmt: skip
    notes = "".join(f"- {note}\n" for entry in kept.values() for note in entry["notes"])
    args.results.write_text(
        f"# Archive benchmark (issue 14)\n\n{label}Machine: {machine()}\n\n"
        f"Commands (RLIMIT_NOFILE {nofile}), and the measures each produced:\n{runs}\n"
        f"{describe(run, made)}\n\n{text}\n\nNotes:\n{notes}"
    )
    return 0


def measure(run: Run, name: str, command: str) -> dict:
    """One measure's rows and notes; a failure is a row saying so, and the others still run."""
    start, before = time.monotonic(), len(run.notes)
    try:
        rows = MEASURES[name](run)
    except Exception as exc:  # a bench run of an hour must not be lost to one measure
        rows = [Row(f"{name}: FAILED", f"{type(exc).__name__}: {exc}".replace("\n", " ")[:300])]
    print(table(rows).split("\n", 2)[2], f"({name}: {time.monotonic() - start:.0f} s)", flush=True)
    return {"rows": [asdict(r) for r in rows], "notes": run.notes[before:], "command": command}


def remember(top: Path, done: dict[str, dict], partial: bool) -> dict[str, dict]:
    """This run's measures, plus (after an `--only` run) those an earlier run of the same tree
    stored in DIR/results.json, in the table's order."""
    store = top / "results.json"
    kept = json.loads(store.read_text()) if partial and store.exists() else {}
    kept.update(done)
    store.write_text(json.dumps(kept, indent=1))
    return {name: kept[name] for name in MEASURES if name in kept}


if __name__ == "__main__":
    sys.exit(main())
