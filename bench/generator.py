"""The generator at scale: build times on 100,000 files, and a big page against nginx autoindex.

    python3 bench/generator.py [--dir DIR] [--results bench/RESULTS-generator.md]

Makes a release tree of 2,000 directories holding 100,000 small files (one directory holds
2,000 of them), times a full `snapfront build` and a second one with nothing changed, measures
brotli qualities on the largest page, then serves the 2,000-entry directory from snapfront (the
pre-rendered page, brotli) and from nginx `autoindex` (gzip) and compares req/s and bytes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import brotli

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loads import free_port, nginx_wrapper, wait_for_port, wrk
from bench.run import machine
from snapfront.base.config import load

DIRS, FILES, BIG = 2000, 100_000, 2000
ACCEPT = "Accept-Encoding: gzip, br"


def make_tree(root: Path, dirs: int = DIRS, files: int = FILES, big: int = BIG) -> None:
    """2,000 directories, 100,000 files; directory 0000 alone holds 2,000 of them (or the
    sizes given: bench/archive.py scales them)."""
    if (root / "done").exists():
        return
    per_dir = (files - big) // max(1, dirs - 1)
    for d in range(dirs):
        folder = root / "project" / f"{d // 100}.{d % 100}"
        folder.mkdir(parents=True, exist_ok=True)
        for f in range(big if d == 0 else per_dir):
            (folder / f"project-{d // 100}.{d % 100}.{f}.tar.gz").write_bytes(b"%d" % f)
    (root / "done").write_text("")


def build_seconds(config: Path) -> tuple[float, str]:
    start = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "snapfront.cli", "build", "--config", str(config)],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    return time.monotonic() - start, out.strip()


def brotli_table(page: bytes) -> list[str]:
    rows = []
    for quality in (4, 5, 6, 9, 11):
        start = time.perf_counter()
        packed = brotli.compress(page, quality=quality)
        rows.append(f"| {quality} | {len(packed):,} | {1000 * (time.perf_counter() - start):.1f} |")
    return rows


def wire_bytes(url: str) -> int:
    out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-H", ACCEPT, "-w", "%{size_download}",
                          url], capture_output=True, text=True, check=True).stdout  # fmt: skip
    return int(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/snapfront-bench-generator"))
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--results", type=Path,
                        default=Path(__file__).with_name("RESULTS-generator.md"))  # fmt: skip
    args = parser.parse_args()
    top = args.dir.resolve()
    root = top / "releases"
    make_tree(root)
    out = top / "output"
    subprocess.run(["rm", "-rf", str(out)], check=True)
    ports = {"snapfront": free_port(), "nginx": free_port()}
    config = top / "snapfront.toml"
    config.write_text(f'[server]\nlisten = "127.0.0.1:{ports["snapfront"]}"\noutput = "output"\n'
                      '[[mount]]\nurl = "/"\nkind = "files"\nroot = "releases"\n')  # fmt: skip
    full, full_out = build_seconds(config)
    again, again_out = build_seconds(config)
    page = (out / "project/0.0/index.html").read_bytes()

    work = Path(tempfile.mkdtemp(prefix="snapfront-bench-gen-"))
    (work / "server.conf").write_text(
        f"server {{ listen 127.0.0.1:{ports['nginx']}; root {root}; autoindex on; gzip on;"
        " gzip_types text/html; }\n"
    )
    (work / "nginx.conf").write_text(nginx_wrapper(1, work))
    procs = [
        subprocess.Popen(["nginx", "-p", str(work), "-c", str(work / "nginx.conf")],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        subprocess.Popen([sys.executable, "-m", "snapfront.cli", "serve", "--config", str(config)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
    ]  # fmt: skip
    try:
        for port in ports.values():
            wait_for_port(port)
        url = {name: f"http://127.0.0.1:{port}/project/0.0/" for name, port in ports.items()}
        rps = {
            name: max(wrk(u, args.duration, ACCEPT)[0] for _ in range(2)) for name, u in url.items()
        }
        size = {name: wire_bytes(u) for name, u in url.items()}
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=20)

    cfg = load(str(config))
    table = "\n".join([
        f"Tree: {DIRS:,} directories, {FILES:,} files (one directory of {BIG:,}), "
        f"output {cfg.output}",
        "",
        "| measure | value |",
        "|---|---:|",
        f"| full build, s | {full:.2f} |",
        f"| second build, nothing changed, s | {again:.2f} |",
        f"| 2,000-entry page, req/s, snapfront (pre-rendered, br) | {rps['snapfront']:,.0f} |",
        f"| 2,000-entry page, req/s, nginx autoindex (gzip) | {rps['nginx']:,.0f} |",
        f"| 2,000-entry page, bytes on the wire, snapfront | {size['snapfront']:,} |",
        f"| 2,000-entry page, bytes on the wire, nginx | {size['nginx']:,} |",
        "",
        f"full build: `{full_out}`  ",
        f"second build: `{again_out}`",
        "",
        f"Brotli on the largest page ({len(page):,} bytes of HTML):",
        "",
        "| quality | bytes | ms |",
        "|---:|---:|---:|",
        *brotli_table(page),
    ])  # fmt: skip
    print(table)
    args.results.write_text(
        f"# Generator benchmark\n\nMachine: {machine()}\n\n"
        f"Command: `python3 bench/generator.py`\n\n{table}\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
