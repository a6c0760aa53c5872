"""Diffs at Debian's size: two (then three) serials whose Packages list 60,000 packages each.

    python3 bench/diff.py [--dir /tmp/snapfront-bench-diff] [--packages 60000]

Writes, without reprepro (no signing: the reader does not need it), a basedir
`dists/bookworm/snapshots/SERIAL/` per serial holding main/binary-amd64/Packages.xz and
Packages.gz (Debian's layout: the uncompressed Packages is listed in Release, not on disk)
and a Release whose SHA256 list names all three. Packages paragraphs carry Debian's usual
fields (~440 bytes each). S2 differs from S1 by 3,000 packages (1,000 upgraded, 500
downgraded, 750 added, 750 removed); S3 from S2 by 300 upgrades. Times:

- cold: `snapfront diff S1 S2` work with an empty cache (both indexes decompressed + parsed);
- cached: the same in a new IndexCache over the same output (another process: the delta is
  read back from output/.snapfront/indexes/);
- cached maps, new pair: S1 -> S3 with the maps cached on disk but not that pair's delta;
- watcher: what a new serial S3 adds with a warm cache (the builder's, S2 parsed already):
  its changes page (parse S3 only, compare, render HTML + JSON) and the archive page's counts.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import lzma
import random
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from snapfront.diffs.cache import IndexCache
from snapfront.diffs.changes import compare_serials
from snapfront.generator import snapshot_pages
from snapfront.generator.pages import Site
from snapfront.generator.render import page_json, render_page
from snapfront.rewrite_rules import Archive, Mount, MountKind

S1, S2, S3 = "2026112201", "2026112202", "2026112301"
PARAGRAPH = (
    "Package: {name}\nVersion: {version}\nInstalled-Size: {size}\nMaintainer: Debian "
    "Maintainers <pkg-{name}@lists.debian.org>\nArchitecture: amd64\nDepends: libc6 (>= 2.36), "
    "libgcc-s1 (>= 3.0), lib{name}-common (= {version})\nDescription: the {name} package\n"
    "Multi-Arch: same\nHomepage: https://example.org/{name}\nDescription-md5: {md5}\n"
    "Section: misc\nPriority: optional\n"
    "Filename: pool/main/{first}/{name}/{name}_{file}_amd64.deb\n"
    "Size: {size}\nSHA256: {sha}\n\n"
)


def packages_text(versions: dict[str, str]) -> bytes:
    out = []
    for name in sorted(versions):
        version = versions[name]
        digest = hashlib.sha256(f"{name}{version}".encode()).hexdigest()
        out.append(PARAGRAPH.format(name=name, version=version, size=len(name) * 97,
                                    md5=digest[:32], first=name[0], sha=digest,
                                    file=version.split(":")[-1]))  # fmt: skip
    return "".join(out).encode()


def write_serial(root: Path, serial: str, versions: dict[str, str]) -> None:
    directory = root / "dists" / "bookworm" / "snapshots" / serial
    binary = directory / "main" / "binary-amd64"
    binary.mkdir(parents=True)
    plain = packages_text(versions)
    files = {"main/binary-amd64/Packages": plain,
             "main/binary-amd64/Packages.gz": gzip.compress(plain, 6, mtime=0),
             "main/binary-amd64/Packages.xz": lzma.compress(plain, preset=6)}  # fmt: skip
    for name, data in files.items():
        if not name.endswith("Packages"):
            (directory / name).write_bytes(data)
    listing = "".join(
        f" {hashlib.sha256(d).hexdigest()} {len(d)} {n}\n" for n, d in sorted(files.items())
    )
    (directory / "Release").write_text(
        "Origin: bench\nLabel: bench\nSuite: bookworm\nCodename: bookworm\n"
        f"Date: Sun, 22 Nov 2026 00:00:00 UTC\nArchitectures: amd64\nComponents: main\n"
        f"SHA256:\n{listing}"
    )


def versions_for(count: int) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    rng = random.Random(12)
    first = {}
    for i in range(count):
        first[f"pkg{i:05d}-{rng.choice('abcdefgh')}"] = f"{rng.randint(0, 9)}.{i % 97}-1"
    names = sorted(first)
    rng.shuffle(names)
    second = dict(first)
    for name in names[:1000]:
        second[name] = first[name] + "+b1"  # upgraded
    for name in names[1000:1500]:
        second[name] = first[name] + "~really0"  # downgraded: ~ sorts before the end
    for name in names[1500:2250]:
        del second[name]  # removed
    for i in range(750):
        second[f"new{i:04d}"] = "1.0-1"  # added: 60,000 again
    third = dict(second)
    for name in sorted(second)[:300]:
        third[name] = "1:" + second[name]  # an epoch: upgraded
    return first, second, third


def timed(label: str, func, results: list[tuple[str, float]]):
    started = time.perf_counter()
    value = func()
    results.append((label, time.perf_counter() - started))
    print(f"{label}: {results[-1][1]:.3f} s", flush=True)
    return value


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", default="/tmp/snapfront-bench-diff", type=Path)
    parser.add_argument("--packages", default=60_000, type=int)
    args = parser.parse_args()
    shutil.rmtree(args.dir, ignore_errors=True)
    root, output = args.dir / "root", args.dir / "output"
    started = time.perf_counter()
    for serial, versions in zip((S1, S2, S3), versions_for(args.packages), strict=True):
        write_serial(root, serial, versions)
    size = (root / "dists/bookworm/snapshots" / S1 / "main/binary-amd64/Packages.xz").stat().st_size
    print(f"wrote 3 serials in {time.perf_counter() - started:.1f} s; Packages.xz {size} bytes")
    mount = Mount("/debian/", MountKind.SNAPSHOTS, str(root), "debian")
    both = Archive(("bookworm",), {"bookworm": frozenset({S1, S2})})
    results: list[tuple[str, float]] = []
    cold = IndexCache(str(output))
    found = timed("cold diff S1 S2", lambda: compare_serials(cold, mount, both, S1, S2), results)
    print(f"  {found.counts.text} (parsed {cold.parsed})")
    cached = IndexCache(str(output))
    again = lambda: compare_serials(cached, mount, both, S1, S2)  # noqa: E731
    timed("cached diff S1 S2 (new process)", again, results)
    three = Archive(("bookworm",), {"bookworm": frozenset({S1, S2, S3})})
    compare_serials(IndexCache(str(output)), mount, three, S2, S3)  # S3's map on disk too
    pair = IndexCache(str(output))
    other = lambda: compare_serials(pair, mount, three, S1, S3)  # noqa: E731
    timed("cached maps, uncached pair S1 S3 (new process)", other, results)
    print(f"  parsed {pair.parsed}, loaded {pair.loaded}")
    warm = IndexCache(str(output) + "-watcher")
    compare_serials(warm, mount, both, S1, S2)  # the watcher built S2's page before S3 came
    site = Site("http://bench/", time.time(), None, "bench", indexes=warm)  # type: ignore[arg-type]

    def new_serial() -> int:
        page = snapshot_pages._changes(mount, three, site, S3)
        return len(render_page(page)) + len(page_json(page))

    before = warm.parsed
    timed("watcher: S3 changes page, warm cache", new_serial, results)
    print(f"  parsed {warm.parsed - before} (S3's Packages only)")
    rows = lambda: [snapshot_pages._with_counts(mount, three, site, r) for r in _rows(three)]  # noqa: E731
    timed("watcher: archive page counts (3 serials)", rows, results)
    return 0


def _rows(archive: Archive):
    from snapfront.generator.model import SerialRow, Validity

    for serial in sorted(archive.all_serials()):
        yield SerialRow(serial, f"{serial}/", None, ("bookworm",), None, Validity.UNLIMITED, True)


if __name__ == "__main__":
    sys.exit(main())
