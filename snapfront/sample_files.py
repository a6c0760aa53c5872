"""The sample host's packages and tarballs: .deb by dpkg-deb, sources and tarballs by tar.

A source package's .dsc is written here, a few fields and its tarballs' checksums, exactly
as `dpkg-source -b` would write it: dpkg-source is in dpkg-dev, whose Recommends bring a
compiler to every machine that only wants the demo. dpkg (dpkg-deb), tar and gzip are
Essential; `.xz` comes from Python's lzma (liblzma), as xz-utils is not in a minimal Debian.
Everything is reproducible: fixed mtimes and owners, sorted members, no gzip timestamp.
"""

from __future__ import annotations

import hashlib
import lzma
import shutil
import tempfile
import time
from pathlib import Path

from snapfront.basedir import tools

EPOCH = 1_700_000_000  # fixed SOURCE_DATE_EPOCH and tar mtime: rebuilt artefacts are identical
MAINTAINER = "snapfront demo <demo@example.invalid>"
CONTROL = (
    "Package: {name}\nVersion: {version}\nArchitecture: {arch}\nMaintainer: {maint}\n"
    "Section: misc\nPriority: optional\nDescription: sample package {name}\n Built by snapfront.\n"
)
SOURCE_CONTROL = (
    "Source: {name}\nMaintainer: {maint}\nSection: misc\nPriority: optional\n\n"
    "Package: {name}\nArchitecture: all\nDescription: sample package {name}\n Built by snapfront.\n"
)
CHANGELOG = (
    "{name} ({version}) unstable; urgency=medium\n\n  * Sample upload.\n\n -- {maint}  {date}\n"
)
DSC = (
    "Format: {format}\nSource: {name}\nBinary: {name}\nArchitecture: all\nVersion: {version}\n"
    "Maintainer: {maint}\nPackage-List:\n {name} deb misc optional arch=all\n"
)


def _run(args: list[str | Path], cwd: Path | None = None, **env: str) -> None:
    tools.run(args, cwd=cwd, env=env)


def _write_tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def _tar(archive: Path, cwd: Path, member: str) -> Path:
    """Reproducible tarball of MEMBER: sorted, fixed owner and mtime; `.gz` by `gzip -n` (no
    timestamp), `.xz` by liblzma (Python's lzma: xz-utils is not in a minimal Debian)."""
    fixed = ["--sort=name", f"--mtime=@{EPOCH}", "--owner=0", "--group=0", "--numeric-owner"]
    if archive.suffix == ".xz":
        plain = archive.with_suffix("")
        _run(["tar", *fixed, "-cf", plain.absolute(), member], cwd=cwd)
        archive.write_bytes(lzma.compress(plain.read_bytes(), preset=6))
        plain.unlink()
        return archive
    gzip = ["--use-compress-program=gzip -n", "-cf", archive.absolute()]
    _run(["tar", *fixed, *gzip, member], cwd=cwd)
    return archive


def make_tarball(workdir: Path, name: str, files: dict[str, str]) -> Path:
    """WORKDIR/NAME.tar.gz holding NAME/<files>, made with real tar from a scratch tree."""
    with tempfile.TemporaryDirectory() as tmp:
        _write_tree(Path(tmp) / name, files)
        return _tar(workdir / f"{name}.tar.gz", Path(tmp), name)


def _no_epoch(version: str) -> str:
    return version.split(":", 1)[-1]  # file names never carry the epoch


def make_deb(workdir: Path, name: str, version: str, arch: str = "all") -> Path:
    """dpkg-deb --build a tiny package that ships usr/share/doc/NAME/README."""
    root = workdir / f"{name}_{_no_epoch(version)}_{arch}"
    control = CONTROL.format(name=name, version=version, arch=arch, maint=MAINTAINER)
    readme = f"{name} {version}: a sample package from snapfront.\n"
    _write_tree(root, {"DEBIAN/control": control, f"usr/share/doc/{name}/README": readme})
    deb = root.with_name(root.name + ".deb")
    _run(["dpkg-deb", "--root-owner-group", "--build", root, deb], SOURCE_DATE_EPOCH=str(EPOCH))
    shutil.rmtree(root)
    return deb


def make_source(workdir: Path, name: str, version: str) -> Path:
    """A source package in WORKDIR as `dpkg-source -b` makes it; return the .dsc.

    "3.0 (native)" (one NAME_VERSION.tar.xz) when VERSION has no Debian revision, else
    "3.0 (quilt)": NAME_UPSTREAM.orig.tar.gz and NAME_VERSION.debian.tar.xz of debian/.
    """
    plain = _no_epoch(version)
    upstream = plain.rpartition("-")[0] or plain
    native = upstream == plain
    tree = workdir / f"{name}-{upstream}"
    _write_tree(tree, {"README": f"{name} {upstream}: sample upstream source.\n"})
    date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(EPOCH))
    changelog = CHANGELOG.format(name=name, version=version, maint=MAINTAINER, date=date)
    debian = {"changelog": changelog, "control": SOURCE_CONTROL.format(name=name, maint=MAINTAINER)}
    debian["source/format"] = "3.0 (native)\n" if native else "3.0 (quilt)\n"
    if native:
        _write_tree(tree / "debian", debian)
        tarballs = [_tar(workdir / f"{name}_{plain}.tar.xz", workdir, tree.name)]
    else:
        tarballs = [_tar(workdir / f"{name}_{upstream}.orig.tar.gz", workdir, tree.name)]
        _write_tree(tree / "debian", debian)
        tarballs.append(_tar(workdir / f"{name}_{plain}.debian.tar.xz", tree, "debian"))
    shutil.rmtree(tree)
    fmt = debian["source/format"].strip()
    dsc = workdir / f"{name}_{plain}.dsc"
    dsc.write_text(DSC.format(format=fmt, name=name, version=version, maint=MAINTAINER)
                   + _checksums(tarballs))  # fmt: skip
    return dsc


def _checksums(files: list[Path]) -> str:
    """The .dsc's Checksums-Sha1, Checksums-Sha256 and Files (MD5) fields for FILES."""
    text = ""
    for field, algorithm in (("Checksums-Sha1", "sha1"), ("Checksums-Sha256", "sha256"),
                             ("Files", "md5")):  # fmt: skip
        text += f"{field}:\n"
        for path in files:
            data = path.read_bytes()
            text += f" {hashlib.new(algorithm, data).hexdigest()} {len(data)} {path.name}\n"
    return text
