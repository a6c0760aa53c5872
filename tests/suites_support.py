"""The custom repository of the suites tests (issue 22): a reprepro basedir whose suites
`snapfront suite sync` made from a Git repository built here, a few packages in them, and the
config serving it as the repository mount /tails/ (plus a files mount, another kind)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from snapfront import sample

BRANCHES = ("stable", "testing", "devel", "feature-trixie", "bugfix/12345-whatever", "feature/x")
TAGS = ("6.0", "6.1-rc1")
SUITES = {
    "stable": "main", "testing": "main", "devel": "main", "feature-trixie": "main",
    "bugfix-12345-whatever": "overlay", "feature-x": "overlay",
    "6.0": "release", "6.1-rc1": "release", "unstable": "other",
}  # fmt: skip
PACKAGES = {  # suite → (package, version) put there with reprepro includedeb
    "stable": [("a", "1.0-1"), ("b", "2.0-1")],
    "devel": [("b", "3.0-1"), ("c", "1.0-1")],
    "testing": [("c", "1.1-1"), ("e", "1.0-1")],
    "bugfix-12345-whatever": [("d", "1.0-1")],
    "feature-x": [("a", "0.5-1")],
}


@dataclass
class Host:
    dir: Path
    repo: Path
    git: Path
    config: Path
    gnupghome: Path
    dry_run: subprocess.CompletedProcess[str]
    synced: subprocess.CompletedProcess[str]

    def suite(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "GNUPGHOME": str(self.gnupghome)}
        cmd = [sys.executable, "-m", "snapfront.cli", "suite", args[0], "/tails/"]
        return subprocess.run([*cmd, "--config", str(self.config), *args[1:]],
                              capture_output=True, text=True, env=env, timeout=120)  # fmt: skip

    def listed(self, suite: str) -> list[str]:
        out = subprocess.run(["reprepro", "-b", str(self.repo), "list", suite],
                             capture_output=True, text=True, check=True).stdout  # fmt: skip
        return sorted(line.split(":", 1)[1].strip() for line in out.splitlines())

    def put(self, suite: str, name: str, version: str) -> None:
        folder = self.dir / "debs" / f"{name}_{version}"
        folder.mkdir(parents=True, exist_ok=True)
        deb = next(folder.glob("*.deb"), None) or sample.make_deb(folder, name, version)
        sample.reprepro(self.repo, self.gnupghome, "includedeb", suite, str(deb))


def tree_digest(*dirs: Path) -> str:
    digest = hashlib.sha256()
    for top in dirs:
        for path in sorted(p for p in top.rglob("*") if p.is_file()):
            digest.update(str(path).encode() + path.read_bytes())
    return digest.hexdigest()


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True)


def build_host(top: Path) -> Host:
    """The repository in `top` (a new directory), synced (with a --dry-run first) and filled;
    stop its gpg agent with `sample.stop_agent(host.gnupghome)` when done."""
    for tool, package in (("git", "git"), ("reprepro", "reprepro"), ("apt-get", "apt")):
        assert shutil.which(tool), f"{tool} not found: apt-get install {package}"
    gnupghome = top / "gnupg"
    fingerprint = sample.make_key(gnupghome)
    repo = top / "repo"
    template = {"Codename": "unstable", "Origin": "Tails", "Label": "Tails",
                "Components": "main", "Architectures": "amd64 source", "SignWith": fingerprint}  # fmt: skip
    sample.write_distributions(repo, [template])
    (top / "out").mkdir()
    config = top / "snapfront.toml"
    config.write_text(f'[server]\nlisten = "127.0.0.1:0"\noutput = "{top}/out"\n'
                      f'[[mount]]\nurl = "/tails/"\nkind = "repository"\nroot = "{repo}"\n'
                      f'[[mount]]\nurl = "/files/"\nkind = "files"\nroot = "{top}/debs"\n')  # fmt: skip
    (top / "debs").mkdir()
    checkout = top / "git"
    checkout.mkdir()
    git(checkout, "init", "-q", "-b", "stable")
    git(checkout, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q",
        "--allow-empty", "-m", "first")  # fmt: skip
    for branch in BRANCHES[1:]:
        git(checkout, "branch", branch)
    for name in TAGS:
        git(checkout, "tag", name)
    h = Host(top, repo, checkout, config, gnupghome, None, None)  # type: ignore[arg-type]
    before = tree_digest(repo / "conf", repo / "db")
    h.dry_run = h.suite("sync", "--git", str(checkout), "--template", "unstable", "--dry-run")
    assert tree_digest(repo / "conf", repo / "db") == before, "--dry-run changed conf/ or db/"
    h.synced = h.suite("sync", "--git", str(checkout), "--template", "unstable")
    assert h.synced.returncode == 0, h.synced.stderr
    for suite, packages in PACKAGES.items():
        for name, version in packages:
            h.put(suite, name, version)
    return h
