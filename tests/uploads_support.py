"""A repository basedir taking uploads, and uploads made the way uploaders make them: a tiny
native package built with dpkg-buildpackage, its .changes signed with debsign, sent with dput
(method local, into the basedir's incoming/)."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from snapfront import sample
from snapfront.basedir import tools

PACKAGE = "hello-up"
TOOLS = {"dpkg-buildpackage": "dpkg-dev", "debsign": "devscripts", "dput": "dput",
         "reprepro": "reprepro", "gpg": "gpg"}  # fmt: skip
RULES = """#!/usr/bin/make -f
build build-arch build-indep:
clean:
\trm -rf debian/tmp debian/files
binary binary-arch binary-indep:
\tmkdir -p debian/tmp/DEBIAN debian/tmp/usr/share/doc/hello-up
\techo hi > debian/tmp/usr/share/doc/hello-up/README
\tdpkg-gencontrol -phello-up -Pdebian/tmp
\tdpkg-deb --root-owner-group --build debian/tmp ..
"""
CONTROL = f"""Source: {PACKAGE}
Section: misc
Priority: optional
Maintainer: Uploader <up@example.invalid>
Standards-Version: 4.6.2

Package: {PACKAGE}
Architecture: all
Description: an upload of the snapfront tests
 Nothing but a README.
"""


@dataclass(frozen=True)
class Repo:
    dir: Path
    root: Path  # the basedir, mount /apt/
    config: Path
    gnupghome: Path  # the archive key and the uploader key
    uploader: str  # fingerprint
    keyring: Path  # the archive key, for apt
    dput_cf: Path


def require_tools() -> None:
    for tool, package in TOOLS.items():
        assert shutil.which(tool), f"{tool} not found: apt-get install {package}"


def make_repo(directory: Path) -> Repo:
    """devel takes uploads (Allow, Uploaders: the uploader key); 5.0 is a read-only tag."""
    require_tools()
    home = directory / "gnupg"
    archive, uploader = sample.make_key(home), sample.make_key(home)
    root = directory / "repo"
    common = {"Components": "main", "Architectures": "amd64 source", "SignWith": archive}
    sample.write_distributions(root, [
        {"Codename": "devel", "Uploaders": "uploaders", **common},
        {"Codename": "5.0", **common},
    ])  # fmt: skip
    (root / "conf" / "incoming").write_text(
        "Name: snapfront\nIncomingDir: incoming\nTempDir: tmp\nAllow: devel\n"
    )
    (root / "conf" / "uploaders").write_text(f"allow * by key {uploader[-16:]}\n")
    (root / "incoming").mkdir()
    sample.reprepro(root, home, "export")
    keyring = directory / "keyring.gpg"
    tools.gpg(home, "--output", keyring, "--export", archive)
    sample.stop_agent(home)
    config = directory / "snapfront.toml"
    config.write_text(
        '[server]\nlisten = "127.0.0.1:0"\noutput = "output"\n\n[watch]\nquiet = 0.2\n\n'
        '[[mount]]\nurl = "/apt/"\nkind = "repository"\nroot = "repo"\nkeyring = "keyring.gpg"\n'
    )
    (directory / "output").mkdir()
    dput_cf = directory / "dput.cf"
    dput_cf.write_text(
        f"[snapfront]\nmethod = local\nincoming = {root / 'incoming'}\n"
        "allow_unsigned_uploads = 1\nrun_dinstall = 0\n"
    )
    return Repo(directory, root, config, home, uploader, keyring, dput_cf)


def build(repo: Repo, version: str, suite: str, signed: bool = True) -> Path:
    """dpkg-buildpackage (source and binary, unsigned), then debsign; the .changes."""
    work = repo.dir / f"build-{version}-{suite}"
    tree = work / PACKAGE
    (tree / "debian" / "source").mkdir(parents=True)
    (tree / "debian" / "control").write_text(CONTROL)
    (tree / "debian" / "source" / "format").write_text("3.0 (native)\n")
    (tree / "debian" / "changelog").write_text(
        f"{PACKAGE} ({version}) {suite}; urgency=low\n\n  * Upload {version}.\n\n"
        " -- Uploader <up@example.invalid>  Mon, 01 Jan 2024 00:00:00 +0000\n"
    )
    (tree / "debian" / "rules").write_text(RULES)
    (tree / "debian" / "rules").chmod(0o755)
    _run(["dpkg-buildpackage", "--no-sign", "-d"], tree)
    (changes,) = work.glob("*.changes")
    if signed:
        _run(["debsign", f"-k{repo.uploader}", "--no-re-sign", changes.name], work, repo)
    return changes


def dput(repo: Repo, changes: Path) -> None:
    _run(["dput", "-c", str(repo.dput_cf), "-u", "snapfront", str(changes)], changes.parent, repo)


def _run(args: list[str], cwd: Path, repo: Repo | None = None) -> None:
    env = {**os.environ, "LC_ALL": "C.UTF-8"}
    if repo is not None:
        env["GNUPGHOME"] = str(repo.gnupghome)
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"{args[0]} failed:\n{proc.stdout}\n{proc.stderr}"
