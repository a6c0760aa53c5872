"""The measurements of bench/archive.py, one function each, returning rows of the targets table.

Each takes the `Run` (tree, options, the servers started on first need) and returns `Row`s;
the tree it changes (new serials, touched pool files) is put back before it returns.
"""

from __future__ import annotations

import http.client
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.archive_serve import Session, status_kb, write_config
from bench.archive_tree import (
    BIG_DIRS,
    CODENAMES,
    SCRATCH_SERIAL,
    TOUCH_PREFIX,
    Tree,
    prefix,
    source_name,
)
from bench.loads import ROOT, free_port
from bench.watch import percentile


@dataclass(frozen=True)
class Row:
    measure: str
    snapfront: str
    nginx: str = "-"
    target: str = "-"
    met: str = "-"


@dataclass
class Run:
    tree: Tree
    scale: float
    serials: int  # new serials timed
    duration: float  # seconds per wrk run and keep-alive load
    rate: float  # bytes/s per rate-limited download
    notes: list[str] = field(default_factory=list)
    session: Session | None = None
    ports: dict[str, int] = field(default_factory=lambda: {n: free_port() for n in Session.names})
    """Chosen once: the build's config says the same listen (and public URL) as the server's."""

    def servers(self) -> Session:
        if self.session is None:
            self.session = Session(self.tree, self.ports).__enter__()
            self.notes.append(
                f"`snapfront serve` start to listening (output already built "
                f"unless `--only` skipped the build): {self.session.serve_seconds:.1f} s"
            )
        return self.session

    def sized(self, ok: bool) -> str:
        """A target set for the full size is judged only on a full-size run."""
        return ("yes" if ok else "no") if self.scale == 1 else f"n/a (scale {self.scale:g})"


def judged(ok: bool) -> str:
    return "yes" if ok else "no"


def timed_build(config: Path) -> tuple[float, float, str]:
    """(wall s, peak RSS MB, its summary line) of one `snapfront build` (wait4's rusage)."""
    out = config.parent / "build.out"
    with open(out, "w") as fh:
        start = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "snapfront.cli", "build", "--config", str(config)],
            stdout=fh,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        _, status, rusage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = out.read_text().strip()
    if proc.returncode:
        raise RuntimeError(f"snapfront build failed:\n{text}")
    return wall, rusage.ru_maxrss / 1024, text.splitlines()[-1]


def build(run: Run) -> list[Row]:
    output = run.tree.top / "output"
    shutil.rmtree(output, ignore_errors=True)
    config = write_config(run.tree, run.ports["snapfront"])
    full, full_rss, full_line = timed_build(config)
    again, again_rss, again_line = timed_build(config)
    du = subprocess.run(
        ["du", "-s", "--block-size=1", str(output)], capture_output=True, text=True, check=True
    ).stdout.split()[0]
    files = sum(len(names) for _, _, names in os.walk(output))
    run.notes += [f"full build: `{full_line}`", f"rebuild: `{again_line}`"]
    mb = int(du) / 1e6
    return [
        Row("full build, s", f"{full:.1f}", target="≤ 60 s at 1M", met=run.sized(full <= 60)),
        Row(
            "rebuild, nothing changed, s",
            f"{again:.1f}",
            target="≤ 5 s at 1M",
            met=run.sized(again <= 5),
        ),
        Row(
            "generated output on disk, MB (files)",
            f"{mb:,.0f} ({files:,})",
            target="≤ 300 MB at 1M",
            met=run.sized(mb <= 300),
        ),
        Row(
            "peak RSS of `snapfront build`, full / rebuild, MB",
            f"{full_rss:.0f} / {again_rss:.0f}",
            target="≤ 300 MB at 1M",
            met=run.sized(max(full_rss, again_rss) <= 300),
        ),
    ]


def _poll(conn: http.client.HTTPConnection, path: str, needle: bytes) -> bool:
    conn.request("GET", path)
    return needle in conn.getresponse().read()


def _wait_for(port: int, checks: list[tuple[str, bytes]], since: float, timeout: float) -> float:
    """Seconds from `since` until every (path, needle) answer holds its needle."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        pending = list(checks)
        while pending:
            pending = [(p, n) for p, n in pending if not _poll(conn, p, n)]
            if pending and time.monotonic() - since > timeout:
                raise RuntimeError(f"not current after {timeout:g} s: {pending[0][0]}")
            if pending:
                time.sleep(0.005)
        return time.monotonic() - since
    finally:
        conn.close()


def new_serial(run: Run) -> list[Row]:
    """Copy the newest serial to a new one, codename by codename, index files first and the
    Release family last (as gensnapshot writes); time until the trace names it and the archive
    page lists it."""
    session, tree = run.servers(), run.tree
    last = tree.serials[-1]
    seconds, made = [], []
    try:
        for i in range(run.serials):
            serial = f"{last[:8]}{SCRATCH_SERIAL + i:02d}"
            for codename in CODENAMES:
                source, target = tree.snapshot(codename, last), tree.snapshot(codename, serial)
                made.append(target)
                shutil.copytree(source / "main", target / "main", copy_function=os.link)
                for name in ("Release", "Release.gpg", "InRelease"):
                    shutil.copyfile(source / name, target / name)
            written = time.monotonic()
            checks = [
                ("/debian/project/trace/debian", f"Archive serial: {serial}".encode()),
                ("/debian/", f'href="{serial}/"'.encode()),
            ]
            seconds.append(_wait_for(session.ports["snapfront"], checks, written, 60))
            time.sleep(1.0)  # the batch's feed and changes pages: let it finish
    finally:
        for path in made:
            shutil.rmtree(path, ignore_errors=True)
    p50, p99 = percentile(seconds, 0.5), percentile(seconds, 0.99)
    run.notes.append(
        f"new serial → served, {len(seconds)} serials: p50 {p50:.3f} s, p99 "
        f"{p99:.3f} s, max {max(seconds):.3f} s"
    )
    return [
        Row(
            f"new serial → trace and archive page served, p50 / p99 s ({len(seconds)})",
            f"{p50:.2f} / {p99:.2f}",
            target="≤ 1 s p99",
            met=judged(p99 <= 1),
        )
    ]


def touch_pool(run: Run) -> list[Row]:
    """Write K new .debs, five per pool directory (a `reprepro update` adding new versions);
    time from the last write until every page lists its new files. Each page is asked for
    once first: pool pages are rendered on their first request and then kept ([pages] pool =
    "lazy"), so this times keeping existing pages current, not a first render (always fresh)."""
    session, tree = run.servers(), run.tree
    count = max(10, round(1000 * run.scale))
    dirs = random.Random(7).sample(range(tree.sizes.source_dirs), max(1, count // 5))
    pages: dict[str, list[bytes]] = {}
    files = []
    for i in range(count):
        source = source_name(dirs[i % len(dirs)])
        rel = f"pool/main/{prefix(source)}/{source}"
        name = f"{TOUCH_PREFIX}{source}_{i}_amd64.deb"
        files.append(tree.basedir / rel / name)
        pages.setdefault(f"/debian/{rel}/", []).append(name.encode())
    for page in pages:
        session.get(page)
    time.sleep(1.5)  # the watcher has seen each kept page as it is
    written = []
    try:
        for path in files:
            path.write_bytes(path.name.encode())
            written.append(path)
        since = time.monotonic()
        checks = [(page, name) for page, names in pages.items() for name in names[-1:]]
        seconds = _wait_for(session.ports["snapfront"], checks, since, 120)
    finally:
        for path in written:
            path.unlink(missing_ok=True)
    time.sleep(2.0)  # let the watcher take the removals before the next measure
    return [
        Row(
            f"{count:,} pool files added ({len(pages)} directories) → their pages current, s",
            f"{seconds:.2f}",
            target="≤ 5 s (1,000 files)",
            met=judged(seconds <= 5),
        )
    ]


def drop_caches() -> str:
    """Empty the page, dentry and inode caches (root only); the method that worked."""
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return "drop_caches"
    except OSError as exc:
        return f"not possible ({exc.strerror})"


def first_byte(url: str) -> float:
    out = subprocess.run(
        [
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "-H",
            "Accept-Encoding: br, gzip",
            "-w",
            "%{http_code} %{time_starttransfer}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    if out[0] != "200":
        raise RuntimeError(f"{url}: {out[0]}")
    return float(out[1]) * 1000


def cold(run: Run) -> list[Row]:
    """First byte of listing pages nobody asked for yet, each after emptying the caches."""
    session, tree = run.servers(), run.tree
    small = source_name(tree.sizes.source_dirs // 2 + 1)
    biggest = max(BIG_DIRS[len(BIG_DIRS) - tree.sizes.big_dirs :])  # source_name(0) holds it
    pages = {
        "archive page": "/debian/",
        "serial page": f"/debian/{tree.serials[len(tree.serials) // 2]}/",
        f"pool directory, {biggest:,} files": f"/debian/pool/main/{prefix(source_name(0))}/"
        f"{source_name(0)}/",
        "pool directory, small": f"/debian/pool/main/{prefix(small)}/{small}/",
        "files directory": "/releases/project/0.1/",
    }
    worst: dict[str, float] = {}
    detail = []
    method = ""
    for label, path in pages.items():
        ms = {}
        for name in session.names:
            method = drop_caches()
            ms[name] = first_byte(session.url(name, path))
            worst[name] = max(worst.get(name, 0.0), ms[name])
        detail.append(
            f"{label} `{path}`: snapfront {ms['snapfront']:.1f} ms, nginx {ms['nginx']:.1f} ms"
        )
    run.notes.append(f"first byte, cold ({method} before each request): " + "; ".join(detail))
    return [
        Row(
            "first byte of a listing page, cold cache, worst of 5 pages, ms",
            f"{worst['snapfront']:.1f}",
            f"{worst['nginx']:.1f}",
            "≤ 50 ms",
            judged(worst["snapfront"] <= 50),
        )
    ]


def watcher(run: Run) -> list[Row]:
    session = run.servers()
    peak = status_kb(session.watcher, "VmHWM") / 1024
    return [
        Row(
            "peak RSS of the watcher (VmHWM, after the measures above), MB",
            f"{peak:.0f}",
            target="≤ 300 MB at 1M",
            met=run.sized(peak <= 300),
        )
    ]


MeasureFn = Callable[[Run], list[Row]]
