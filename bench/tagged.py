"""`tagged create` at Tails' scale: a manifest of 1,500 binaries over an archive of 30,000.

    python3 bench/tagged.py [--dir /tmp/snapfront-bench-tagged]

Builds once (cached in DIR/template): a signing key and one snapshots basedir, codename
bookworm, of 30,000 packages. The .debs are written directly by bench/lifecycle.py's
write_deb (real ar archives, valid for dpkg and reprepro, a few hundred bytes each) and
added with `reprepro includedeb` in batches of 5,000, then one `gensnapshot`. Each run copies
the template, writes a manifest naming every 20th package (1,500), and times `snapfront tagged
create` through the CLI: wall time, CPU, and the peak RSS of the largest process (snapfront
itself or the reprepro it runs: getrusage of the children), then `tagged verify`.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.lifecycle import write_deb
from snapfront import sample

PACKAGES = 30_000
EVERY = 20  # 1,500 of them in the manifest
SERIAL = "2025051801"
BATCH = 5_000


def build(template: Path) -> None:
    started = time.monotonic()
    root, gnupghome = template / "debian", template / "gnupg"
    fingerprint = sample.make_key(gnupghome)
    try:
        base = {"Codename": "bookworm", "Origin": "bench", "Label": "bench"}
        base |= {"Components": "main", "Architectures": "amd64", "SignWith": fingerprint}
        sample.write_distributions(root, [base])
        debs = template / "debs"
        debs.mkdir()
        files = [write_deb(debs, f"pkg{i:05d}", "1.0-1") for i in range(PACKAGES)]
        for start in range(0, PACKAGES, BATCH):
            batch = [str(f) for f in files[start : start + BATCH]]
            sample.reprepro(root, gnupghome, "includedeb", "bookworm", *batch)
        sample.reprepro(root, gnupghome, "gensnapshot", "bookworm", SERIAL)
        shutil.rmtree(debs)
    finally:
        sample.stop_agent(gnupghome)
    print(f"built {PACKAGES} packages in {time.monotonic() - started:.0f} s", flush=True)


def world(template: Path, run: Path) -> Path:
    shutil.copytree(template, run, symlinks=True, ignore=shutil.ignore_patterns("S.*"))
    (run / "tagged").mkdir()
    (run / "output").mkdir()
    config = run / "snapfront.toml"
    config.write_text(
        '[server]\noutput = "output"\n\n[[mount]]\nurl = "/debian/"\nkind = "snapshots"\n'
        'root = "debian"\n\n[[mount]]\nurl = "/tagged/"\nkind = "tagged"\nroot = "tagged"\n'
    )
    lines = [
        f"  - {{arch: all, package: pkg{i:05d}, version: 1.0-1}}" for i in range(0, PACKAGES, EVERY)
    ]
    text = f"origin_references:\n  debian: {{reference: '{SERIAL}'}}\npackages:\n  binary:\n"
    (run / "bench.build-manifest").write_text(text + "\n".join(lines) + "\n  source: []\n")
    return config


def timed(run: Path, *args: str) -> tuple[float, float, str]:
    env = {**os.environ, "GNUPGHOME": str(run / "gnupg"), "PYTHONPATH": str(Path.cwd())}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    cmd = [sys.executable, "-m", "snapfront.cli", "tagged", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)}: exit {proc.returncode}: {proc.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(f"  cpu {cpu:.1f} s", flush=True)
    return wall, after.ru_maxrss / 1024, proc.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/snapfront-bench-tagged"))
    args = parser.parse_args()
    template = args.dir / "template"
    if not (template / "debian" / "dists").is_dir():
        shutil.rmtree(template, ignore_errors=True)
        build(template)
    run = args.dir / "run"
    shutil.rmtree(run, ignore_errors=True)
    config = world(template, run)
    manifest = str(run / "bench.build-manifest")
    try:
        wall, rss, out = timed(
            run, "create", "--config", str(config), "/tagged/", "6.15.1", manifest
        )
        print(out, end="")
        print(f"tagged create: {wall:.2f} s wall, peak RSS {rss:.0f} MiB (largest process)")
        wall, rss, out = timed(
            run, "verify", "--config", str(config), "/tagged/", "6.15.1", manifest
        )
        print(out, end="")
        print(f"tagged verify: {wall:.2f} s wall")
    finally:
        sample.stop_agent(run / "gnupg")
    return 0


if __name__ == "__main__":
    sys.exit(main())
