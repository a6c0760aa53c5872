"""`snapshot take` and `snapshot gc` at Tails' scale: 40 serials x 2 codenames, 23,900 pool files.

    python3 bench/lifecycle.py [--dir /tmp/snapfront-bench-lifecycle] [--keep 10]

Builds once (cached in DIR/template): a signing key, two codenames (ValidFor 10d) of 10,000
packages each, then 40 serials (10 days x 4); before each serial after the first, 50 packages
per codename get a new version, so older serials hold pool files of their own (2 x 10,000 +
39 x 2 x 50 = 23,900 pool files). The .debs are written directly (ar + gzip'd tars, valid for
dpkg and reprepro) and added with one `reprepro includedeb` per codename and round. Each run
copies the template and times, through the CLI, `take` and `gc --dry-run`, then `gc --keep N`
as of 20 days from now (every serial is expired then; with the take's serial there are 41, so
`--keep 10` removes the 31 oldest, 62 snapshots), and how long reprepro's `db/lockfile`
existed (polled every millisecond in a thread) during each.
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from snapfront import sample
from snapfront.base.config import load
from snapfront.cli_snapshot import find_mount
from snapfront.lifecycle.gc import GcOptions, gc

CODENAMES = ("bookworm", "trixie")
PACKAGES = 10_000
SERIALS = 40
CHURN = 50  # packages per codename with a new version before each serial


def _ar_member(name: str, data: bytes) -> bytes:
    header = f"{name:<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(data):<10}`\n".encode()
    return header + data + (b"\n" if len(data) % 2 else b"")


def _targz(files: dict[str, bytes]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)


def write_deb(directory: Path, name: str, version: str) -> Path:
    control = (
        f"Package: {name}\nVersion: {version}\nArchitecture: all\nMaintainer: {sample.MAINTAINER}"
        f"\nSection: misc\nPriority: optional\nDescription: bench package {name}\n"
    ).encode()
    data = _targz({f"./usr/share/doc/{name}/README": f"{name} {version}\n".encode()})
    deb = b"!<arch>\n" + _ar_member("debian-binary", b"2.0\n")
    deb += _ar_member("control.tar.gz", _targz({"./control": control}))
    deb += _ar_member("data.tar.gz", data)
    path = directory / f"{name}_{version}_all.deb"
    path.write_bytes(deb)
    return path


def build(template: Path) -> None:
    started = time.monotonic()
    root = template / "debian"
    gnupghome = template / "gnupg"
    fingerprint = sample.make_key(gnupghome)
    try:
        base = {"Origin": "bench", "Label": "bench", "Components": "main"}
        base |= {"Architectures": "amd64", "SignWith": fingerprint, "ValidFor": "10d"}
        sample.write_distributions(root, [{"Codename": c, **base} for c in CODENAMES])
        debs = template / "debs"
        for round_ in range(SERIALS):
            for index, codename in enumerate(CODENAMES):
                work = debs / f"{round_}-{codename}"
                work.mkdir(parents=True)
                first = round_ * CHURN % PACKAGES
                names = range(PACKAGES) if round_ == 0 else range(first, first + CHURN)
                files = [write_deb(work, f"pkg{index}-{n:05d}", f"1.{round_}") for n in names]
                sample.reprepro(root, gnupghome, "includedeb", codename, *map(str, files))
                shutil.rmtree(work)
            serial = f"202601{round_ // 4 + 1:02d}{round_ % 4 + 1:02d}"
            for codename in CODENAMES:
                sample.reprepro(root, gnupghome, "gensnapshot", codename, serial)
            print(f"  serial {serial} ({time.monotonic() - started:.0f} s)", flush=True)
        shutil.rmtree(debs)
        sample._gpg(gnupghome, "--output", template / "keyring.gpg", "--export", fingerprint)
        (template / "out").mkdir()
        (template / "snapfront.toml").write_text(
            '[server]\noutput = "out"\n\n[[mount]]\nurl = "/debian/"\nkind = "snapshots"\n'
            'root = "debian"\nkeyring = "keyring.gpg"\n'
        )
    finally:
        sample.stop_agent(gnupghome)
    print(f"built {template} in {time.monotonic() - started:.0f} s", flush=True)


class LockWatch:
    """How long `db/lockfile` existed while the block ran: reprepro's lock, held."""

    def __init__(self, root: Path) -> None:
        self.path, self.held, self.spans = root / "db" / "lockfile", 0.0, 0
        self._stop = threading.Event()

    def __enter__(self) -> LockWatch:
        self._thread = threading.Thread(target=self._poll)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _poll(self) -> None:
        since = None
        while not self._stop.is_set():
            now, exists = time.monotonic(), self.path.exists()
            if exists and since is None:
                since, self.spans = now, self.spans + 1
            elif not exists and since is not None:
                self.held, since = self.held + now - since, None
            time.sleep(0.001)
        if since is not None:
            self.held += time.monotonic() - since


def timed(world: Path, *args: str) -> tuple[float, float, int, str]:
    cmd = [sys.executable, "-m", "snapfront.cli", "snapshot", args[0], "--config"]
    cmd += [str(world / "snapfront.toml"), *args[1:]]
    full_env = {**os.environ, "GNUPGHOME": str(world / "gnupg")}
    with LockWatch(world / "debian") as lock:
        start = time.monotonic()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=full_env)
        wall = time.monotonic() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {proc.stderr}")
    return wall, lock.held, lock.spans, proc.stdout


def in_process(world: Path, call) -> tuple[float, float, int, tuple[str, ...]]:
    with LockWatch(world / "debian") as lock:
        start = time.monotonic()
        outcome = call()
        wall = time.monotonic() - start
    return wall, lock.held, lock.spans, outcome.lines


def count(root: Path) -> tuple[int, int]:
    """Pool files, and the bytes of every file but reprepro's db/ (what gc frees)."""
    pool = sum(1 for p in (root / "pool").rglob("*") if p.is_file())
    files = [p for p in root.rglob("*") if p.is_file() and p.parts[len(root.parts)] != "db"]
    return pool, sum(p.stat().st_size for p in files)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/snapfront-bench-lifecycle"))
    parser.add_argument("--keep", type=int, default=10)
    args = parser.parse_args()
    template = args.dir / "template"
    if not (template / "snapfront.toml").exists():
        shutil.rmtree(template, ignore_errors=True)
        build(template)
    world = args.dir / "run"
    shutil.rmtree(world, ignore_errors=True)
    shutil.copytree(template, world, symlinks=True, ignore=shutil.ignore_patterns("S.*"))
    files, _ = count(world / "debian")
    refs_db = (world / "debian" / "db" / "references.db").stat().st_size
    print(f"basedir: {SERIALS} serials x {len(CODENAMES)} codenames, {files} pool files, "
          f"references.db {refs_db} bytes")  # fmt: skip
    try:
        wall, held, spans, out = timed(world, "take", "/debian/")
        print(f"take: {wall:.2f} s wall, reprepro lock held {held:.2f} s in {spans} spans "
              f"-> serial {out.strip()}")  # fmt: skip
        size = count(world / "debian")[1]
        config = load(str(world / "snapfront.toml"))
        mount = find_mount(config, "/debian/")
        future = time.time() + 20 * 86400  # as of then, all but the --keep newest are expired
        for dry_run in (True, False):
            options = GcOptions(dry_run=dry_run, keep=args.keep)
            wall, held, spans, lines = in_process(world, lambda o=options: gc(mount, o, future))
            name = "gc --dry-run" if dry_run else "gc"
            removed = sum(1 for line in lines if re.match(r"(would remove|removed) serial", line))
            print(f"{name} (in-process, clock +20 d): {wall:.2f} s wall, lock held {held:.2f} s "
                  f"in {spans} spans; {removed} serials; {lines[-1]}")  # fmt: skip
        after = count(world / "debian")
        print(f"after: {after[0]} pool files, {after[1]} bytes "
              f"(measured difference {size - after[1]} bytes)")  # fmt: skip
    finally:
        subprocess.run(["gpgconf", "--kill", "all"],
                       env={**os.environ, "GNUPGHOME": str(world / "gnupg")})  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
