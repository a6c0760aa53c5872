"""A Debian-shaped snapshots basedir, written directly (no reprepro: a million files would take
hours through it), plus a release tree; made once per size and kept under DIR/tree.

The pool is `pool/main/PREFIX/SOURCE/` (PREFIX `libf` for `libfoo…`, else the first letter, as
Debian's), each source directory holding a .dsc, two tarballs and binary packages for amd64,
arm64 and all; a few directories hold 600 to 3,000 files. Every source directory belongs to one
of three codenames, whose `Packages` (and `.gz`, level 1) list its .debs in reprepro's format.
Each codename's index files are written once and hard-linked into its 40 serials; each serial
gets its own Release (its Date) signed with one throwaway key (InRelease and Release.gpg).
Files hold a few bytes (their own name); one 270 KB .deb of random bytes is for downloads.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.generator import make_tree
from snapfront import sample
from snapfront.sample import MAINTAINER

CODENAMES = ("bookworm", "trixie", "forky")
ARCHS = ("amd64", "arm64", "all")
BINARY = ("amd64", "arm64")
BIG_DIRS = (3000, 1500, 1000, 800, 600)
"""Files in the few big source directories (linux, firefox-esr…); scaled runs keep the last."""
WORDS = (
    "foo",
    "bar",
    "gtk",
    "xml",
    "ssl",
    "qt",
    "py",
    "perl",
    "ruby",
    "node",
    "gnome",
    "kde",
    "x11",
    "sql",
    "png",
    "jpeg",
    "zip",
    "curl",
    "dbus",
    "glib",
    "rust",
    "go",
    "tcl",
    "lua",
)
DOWNLOAD = "pool/main/b/bench-download/bench-download_1.0_all.deb"
DOWNLOAD_SIZE = 270 * 1024
SCRATCH_SERIAL = 50
"""Serials the bench adds end in NN >= 50; any found at start are a killed run's, removed."""
TOUCH_PREFIX = "bench-touch-"


@dataclass(frozen=True)
class Sizes:
    pool_files: int = 1_000_000
    source_dirs: int = 40_000
    big_dirs: int = 5
    serials: int = 40
    release_files: int = 100_000
    release_dirs: int = 2_000

    @classmethod
    def scaled(cls, scale: float) -> Sizes:
        full = cls()
        return cls(
            pool_files=max(100, round(full.pool_files * scale)),
            source_dirs=max(10, round(full.source_dirs * scale)),
            big_dirs=max(1, round(full.big_dirs * scale)),
            serials=full.serials,
            release_files=max(100, round(full.release_files * scale)),
            release_dirs=max(2, round(full.release_dirs * scale)),
        )


@dataclass(frozen=True)
class Tree:
    top: Path  # DIR: snapfront.toml, output/, tree/
    basedir: Path  # tree/debian
    releases: Path  # tree/releases
    keyring: Path
    gnupghome: Path
    serials: tuple[str, ...]
    seconds: dict[str, float]  # how long each part took to make
    sizes: Sizes

    def snapshot(self, codename: str, serial: str) -> Path:
        return self.basedir / "dists" / codename / "snapshots" / serial


def source_name(d: int) -> str:
    name = WORDS[d % len(WORDS)] + WORDS[(d // len(WORDS)) % len(WORDS)] + str(d)
    return "lib" + name if d % 3 == 0 else name


def prefix(source: str) -> str:
    return source[:4] if source.startswith("lib") else source[0]


def _files_per_dir(sizes: Sizes) -> list[int]:
    big = list(BIG_DIRS[len(BIG_DIRS) - sizes.big_dirs :])  # the smallest when scaled
    rest = sizes.pool_files - sum(big)
    small = sizes.source_dirs - len(big)
    counts = [rest // small + (1 if i < rest % small else 0) for i in range(small)]
    return big + counts


def _stanza(source: str, filename: str, package: str, version: str, arch: str, data: bytes) -> str:
    return (
        f"Package: {package}\nSource: {source}\nVersion: {version}\nArchitecture: {arch}\n"
        f"Maintainer: {MAINTAINER}\nInstalled-Size: 12\nPriority: optional\nSection: misc\n"
        f"Filename: {filename}\nSize: {len(data)}\nMD5sum: {hashlib.md5(data).hexdigest()}\n"
        f"SHA256: {hashlib.sha256(data).hexdigest()}\nDescription: bench package {package}\n\n"
    )


def _write(path: str, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def make_pool(basedir: Path, indexes: Path, sizes: Sizes) -> None:
    """The pool's files, and each codename's Packages per architecture (streamed to disk)."""
    out = {}
    for codename in CODENAMES:
        for arch in BINARY:
            path = indexes / codename / "main" / f"binary-{arch}" / "Packages"
            path.parent.mkdir(parents=True)
            out[codename, arch] = open(path, "w")  # noqa: SIM115 - closed below
    try:
        for d, count in enumerate(_files_per_dir(sizes)):
            source = source_name(d)
            rel = f"pool/main/{prefix(source)}/{source}"
            folder = str(basedir / rel)
            os.makedirs(folder)
            names = [
                f"{source}_1.0-1.dsc",
                f"{source}_1.0.orig.tar.xz",
                f"{source}_1.0-1.debian.tar.xz",
            ][:count]
            for name in names:
                _write(f"{folder}/{name}", name.encode())
            codename = CODENAMES[d % len(CODENAMES)]
            for j in range(count - len(names)):
                package, version, arch = (
                    f"{source}-bin{j // 6}",
                    f"1.{(j // 3) % 2}-1",
                    ARCHS[j % 3],
                )
                name = f"{package}_{version}_{arch}.deb"
                data = f"{name}\n".encode()
                _write(f"{folder}/{name}", data)
                text = _stanza(source, f"{rel}/{name}", package, version, arch, data)
                for binary in BINARY if arch == "all" else (arch,):
                    out[codename, binary].write(text)
    finally:
        for fh in out.values():
            fh.close()
    download = basedir / DOWNLOAD
    download.parent.mkdir(parents=True)
    download.write_bytes(random.Random(14).randbytes(DOWNLOAD_SIZE))


def _checksums(directory: Path) -> str:
    """The MD5Sum/SHA1/SHA256 sections of a Release over every index file below `directory`."""
    files = sorted(p for p in directory.rglob("*") if p.is_file())
    sections = []
    for field, algo in (("MD5Sum", "md5"), ("SHA1", "sha1"), ("SHA256", "sha256")):
        lines = []
        for path in files:
            digest = hashlib.new(algo)
            with open(path, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    digest.update(chunk)
            lines.append(
                f" {digest.hexdigest()} {path.stat().st_size:>16} {path.relative_to(directory)}"
            )
        sections.append(f"{field}:\n" + "\n".join(lines) + "\n")
    return "".join(sections)


def _date(when: float) -> str:
    return time.strftime("%a, %d %b %Y %H:%M:%S UTC", time.gmtime(when))


def make_indexes(indexes: Path) -> dict[str, str]:
    """Packages.gz and the per-architecture Release beside each Packages; the checksums text."""
    sums = {}
    for codename in CODENAMES:
        for arch in BINARY:
            folder = indexes / codename / "main" / f"binary-{arch}"
            with (
                open(folder / "Packages", "rb") as src,
                gzip.GzipFile(folder / "Packages.gz", "wb", compresslevel=1, mtime=0) as dst,
            ):
                shutil.copyfileobj(src, dst, 1 << 20)
            (folder / "Release").write_text(
                f"Archive: {codename}\nOrigin: bench\nLabel: bench\nComponent: main\n"
                f"Architecture: {arch}\n"
            )
        sums[codename] = _checksums(indexes / codename)
    return sums


def serial_names(count: int, now: float) -> list[tuple[str, float]]:
    """`count` serials, four a day (00, 06, 12, 18 UTC: NN 01 to 04), ending yesterday."""
    first_day = (int(now) // 86400 - (count + 3) // 4) * 86400
    out = []
    for i in range(count):
        when = first_day + (i // 4) * 86400 + (i % 4) * 6 * 3600
        out.append((time.strftime("%Y%m%d", time.gmtime(when)) + f"{i % 4 + 1:02d}", when))
    return out


def make_snapshots(basedir: Path, indexes: Path, sizes: Sizes, gnupghome: Path) -> list[str]:
    fingerprint = sample.make_key(gnupghome)
    sums = make_indexes(indexes)
    serials = serial_names(sizes.serials, time.time())
    try:
        for codename in CODENAMES:
            for serial, when in serials:
                target = basedir / "dists" / codename / "snapshots" / serial
                shutil.copytree(indexes / codename, target, copy_function=os.link)
                release = target / "Release"
                release.write_text(
                    f"Origin: bench\nLabel: bench\nSuite: {codename}\nCodename: {codename}\n"
                    f"Date: {_date(when)}\nValid-Until: {_date(when + 10 * 86400)}\n"
                    f"Architectures: {' '.join(BINARY)}\nComponents: main\n"
                    f"Description: bench {codename}\n{sums[codename]}"
                )
                gpg = ("--local-user", fingerprint, "--output")
                sample._gpg(gnupghome, *gpg, target / "Release.gpg", "--detach-sign", release)
                sample._gpg(gnupghome, *gpg, target / "InRelease", "--clearsign", release)
            live = basedir / "dists" / codename
            for path in (live / "snapshots" / serials[-1][0]).iterdir():
                dest = live / path.name
                if path.is_dir():
                    shutil.copytree(path, dest, copy_function=os.link)
                else:
                    os.link(path, dest)
        sample._gpg(gnupghome, "--output", basedir.parent / "keyring.gpg", "--export", fingerprint)
    finally:
        sample.stop_agent(gnupghome)
    base = {"Components": "main", "Architectures": " ".join(BINARY), "SignWith": fingerprint}
    sample.write_distributions(basedir, [{"Codename": c, **base} for c in CODENAMES])
    return [s for s, _ in serials]


def make(top: Path, sizes: Sizes) -> Tree:
    """The tree under TOP/tree, made unless a finished one of the same sizes is there."""
    root = top / "tree"
    done = root / "done"
    if done.exists() and json.loads(done.read_text())["sizes"] == asdict(sizes):
        facts = json.loads(done.read_text())
    else:
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        seconds = {}
        start = time.monotonic()
        make_pool(root / "debian", root / "indexes", sizes)
        seconds["pool"] = time.monotonic() - start
        start = time.monotonic()
        serials = make_snapshots(root / "debian", root / "indexes", sizes, root / "gnupg")
        seconds["snapshots"] = time.monotonic() - start
        start = time.monotonic()
        big = max(1, round(sizes.release_files / 50))
        make_tree(root / "releases", sizes.release_dirs, sizes.release_files, big)
        seconds["releases"] = time.monotonic() - start
        facts = {"sizes": asdict(sizes), "serials": serials, "seconds": seconds}
        done.write_text(json.dumps(facts))
    tree = Tree(
        top,
        root / "debian",
        root / "releases",
        root / "keyring.gpg",
        root / "gnupg",
        tuple(facts["serials"]),
        facts["seconds"],
        sizes,
    )
    tidy(tree)
    return tree


def tidy(tree: Tree) -> None:
    """Remove what a killed run added: scratch serials and touched pool files."""
    for codename in CODENAMES:
        for path in (tree.basedir / "dists" / codename / "snapshots").iterdir():
            if int(path.name[-2:]) >= SCRATCH_SERIAL:
                shutil.rmtree(path)
    for path in (tree.basedir / "pool").glob(f"*/*/*/{TOUCH_PREFIX}*"):
        path.unlink()
