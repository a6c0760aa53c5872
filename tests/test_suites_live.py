"""Issue 22, the suites: `snapfront suite sync|list|merge|reset|tag` on a repository mount
built with real reprepro, gpg and git; apt-get reads a new overlay suite through `snapfront
serve`; merges refused by their guards change nothing; a killed change is rolled back."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from snapfront import sample
from snapfront.base.atomic import atomic_write
from snapfront.basedir.intent import Intent, intent_path

from .apt_client import AptRoot
from .lifecycle_support import recorded_purges
from .support import running_server

pytestmark = pytest.mark.live

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


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory):
    for tool, package in (("git", "git"), ("reprepro", "reprepro"), ("apt-get", "apt")):
        assert shutil.which(tool), f"{tool} not found: apt-get install {package}"
    top = tmp_path_factory.mktemp("suites")
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
    yield h
    sample.stop_agent(gnupghome)


def test_sync_creates_the_suites_of_branches_and_tags(host: Host) -> None:
    assert host.dry_run.returncode == 0, host.dry_run.stderr
    assert "would create bugfix-12345-whatever (overlay, from bugfix/12345-whatever)" in (
        host.dry_run.stdout
    )
    assert host.synced.returncode == 0, host.synced.stderr
    listed = host.suite("list", "--json")
    import json

    kinds = {s["suite"]: s["kind"] for s in json.loads(listed.stdout)["suites"]}
    assert kinds == SUITES
    uploads = {s["suite"] for s in json.loads(listed.stdout)["suites"] if s["uploads"]}
    assert uploads == {s for s, k in SUITES.items() if k in ("main", "overlay")}
    conf = (host.repo / "conf" / "distributions").read_text()
    assert conf.count("!include: snapfront/suites.conf") == 1 and "Codename: unstable" in conf
    incoming = (host.repo / "conf" / "snapfront" / "incoming.conf").read_text()
    assert "Name: snapfront\nIncomingDir: incoming\nTempDir: tmp\n" in incoming
    assert "6.0" not in incoming and "bugfix-12345-whatever" in incoming
    again = host.suite("sync", "--git", str(host.git), "--template", "unstable")
    assert again.returncode == 0 and "0 created, 8 there already" in again.stdout
    assert conf == (host.repo / "conf" / "distributions").read_text()


def test_apt_get_reads_a_new_overlay_suite(host: Host, tmp_path: Path) -> None:
    keyring = tmp_path / "key.gpg"
    subprocess.run(["gpg", "--homedir", str(host.gnupghome), "--export", "--output",
                    str(keyring)], check=True)  # fmt: skip
    with running_server(host.config) as server:
        line = f"deb [signed-by={keyring}] {server.url}tails/ bugfix-12345-whatever main"
        apt = AptRoot(tmp_path / "apt", [line])
        update = apt.run("update")
        assert update.returncode == 0 and update.problems() == [], update.output
        assert apt.candidate("d") == "1.0-1"
        download = apt.run("download", "d", cwd=tmp_path)
        assert download.returncode == 0, download.output


def test_a_mount_of_another_kind_is_refused(host: Host) -> None:
    env = {**os.environ, "GNUPGHOME": str(host.gnupghome)}
    cmd = [sys.executable, "-m", "snapfront.cli", "suite", "list", "/files/", "--config"]
    done = subprocess.run([*cmd, str(host.config)], capture_output=True, text=True, env=env)
    assert done.returncode == 2
    assert done.stderr.startswith("snapfront: ") and "not repository" in done.stderr


def test_merge_refuses_a_downgrade_then_does_it_when_allowed(host: Host) -> None:
    before = (host.listed("devel"), tree_digest(host.repo / "dists" / "devel"))
    refused = host.suite("merge", "stable", "devel")
    assert refused.returncode == 1
    assert "would go backwards: b" in refused.stderr
    assert "DOWNGRADED  b  3.0-1 -> 2.0-1" in refused.stdout
    assert (host.listed("devel"), tree_digest(host.repo / "dists" / "devel")) == before
    config = host.config.read_bytes()
    try:
        with recorded_purges(host) as purged:
            done = host.suite("merge", "stable", "devel", "--allow-downgrade")
            assert done.returncode == 0, done.stderr
            assert "/tails/dists/devel/InRelease" in purged
    finally:
        host.config.write_bytes(config)  # the recording cache is gone
    assert host.listed("devel") == ["a 1.0-1", "b 2.0-1", "c 1.0-1"]
    assert not (host.repo / "dists" / "devel" / "snapshots").exists()


def test_merge_refuses_to_readd_what_the_suite_lost(host: Host) -> None:
    host.suite("merge", "bugfix-12345-whatever", "feature-trixie")  # feature-trixie gets d
    sample.reprepro(host.repo, host.gnupghome, "remove", "feature-trixie", "d")
    refused = host.suite("merge", "bugfix-12345-whatever", "feature-trixie")
    assert refused.returncode == 1
    assert "feature-trixie once had and lost: d" in refused.stderr
    assert host.listed("feature-trixie") == []
    done = host.suite("merge", "bugfix-12345-whatever", "feature-trixie", "--allow-readd")
    assert done.returncode == 0 and host.listed("feature-trixie") == ["d 1.0-1"]


def test_overlays_merge_in_order_and_stop_at_the_first_refusal(host: Host) -> None:
    before = host.listed("devel")  # a 1.0-1 (feature-x has 0.5-1: a downgrade)
    done = host.suite("merge", "bugfix-12345-whatever", "feature-x", "stable", "devel")
    assert done.returncode == 1
    assert "merge bugfix-12345-whatever -> devel: +1" in done.stdout
    assert "merging feature-x into devel refused: would go backwards: a" in done.stderr
    assert "stable -> devel" not in done.stdout  # never tried
    assert host.listed("devel") == sorted([*before, "d 1.0-1"])


def test_reset_and_tag_make_the_suite_equal_to_the_source(host: Host) -> None:
    dry = host.suite("reset", "feature-x", "testing", "--dry-run")
    assert dry.returncode == 0 and host.listed("feature-x") == ["a 0.5-1"]
    reset = host.suite("reset", "feature-x", "testing")
    assert reset.returncode == 0, reset.stderr
    assert host.listed("feature-x") == host.listed("testing")
    tagged = host.suite("tag", "6.0", "stable")
    assert tagged.returncode == 0, tagged.stderr
    assert host.listed("6.0") == host.listed("stable")
    assert host.suite("tag", "6.0", "devel").returncode == 2  # read-only once tagged
    into = host.suite("merge", "devel", "6.0")
    assert into.returncode == 2 and "read-only" in into.stderr
    new = host.suite("tag", "7.0", "devel")
    assert new.returncode == 0 and "created 7.0 (release, from 7.0)" in new.stdout
    assert host.listed("7.0") == host.listed("devel")


def test_a_killed_change_is_rolled_back_by_the_next_command(host: Host) -> None:
    before = host.listed("testing")
    sample.reprepro(host.repo, host.gnupghome, "gensnapshot", "testing", ".snapfront-undo")
    sample.reprepro(host.repo, host.gnupghome, "removematched", "testing", "*")
    intent = Intent("suite-change", 999999, 1.0, ("testing",),
                    {"suite": "testing", "phase": "changing"})  # fmt: skip
    atomic_write(intent_path(str(host.repo)), intent.to_json())
    assert host.listed("testing") == []
    after = host.suite("merge", "testing", "testing")
    assert after.returncode == 0, after.stderr
    assert "rolled back: testing is as it was before" in after.stderr
    assert host.listed("testing") == before
    assert not os.path.exists(intent_path(str(host.repo)))
