"""Uploads with the watcher running: dpkg-buildpackage, debsign and dput into a repository
mount's incoming/, `snapfront serve` hands complete uploads to reprepro processincoming,
apt-get fetches the result; rejected ones are taken aside, listed by `snapfront suite
uploads`, on the mount's page and in the metrics."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from snapfront.suites import history
from tests.apt_client import AptRoot
from tests.lifecycle_support import recorded_purges, tree_hash
from tests.support import Running, fetch, running_server
from tests.uploads_support import PACKAGE, Repo, build, dput, make_repo

pytestmark = pytest.mark.live

WITHIN = 5.0  # seconds from dput's exit to the package in the served index


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    return make_repo(tmp_path_factory.mktemp("uploads"))


@pytest.fixture(scope="module")
def server(repo: Repo) -> Iterator[Running]:
    """serve with its watcher, verifying and signing with the test's GNUPGHOME."""
    with running_server(repo.config, prefix=("env", f"GNUPGHOME={repo.gnupghome}")) as running:
        yield running


def suite(repo: Repo, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GNUPGHOME": str(repo.gnupghome)}
    return subprocess.run(
        [sys.executable, "-m", "snapfront.cli", "suite", *args, "--config", str(repo.config)],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip


def uploads(repo: Repo) -> dict:
    done = suite(repo, "uploads", "/apt/", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def served_packages(server: Running, codename: str = "devel") -> str:
    reply = fetch(f"{server.url}apt/dists/{codename}/main/binary-amd64/Packages")
    return reply.body.decode() if reply.status == 200 else ""


def wait_for(check, timeout: float = WITHIN) -> float:
    """Seconds until `check()` is true; AssertionError after `timeout`."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < timeout, f"not within {timeout:g} s"
        time.sleep(0.1)
    return time.monotonic() - started


def rejected(repo: Repo, changes: Path) -> dict | None:
    return next((r for r in uploads(repo)["rejected"] if r["changes"] == changes.name), None)


def test_signed_upload_is_in_the_suite_within_seconds_and_apt_gets_it(
    repo: Repo, server: Running, tmp_path: Path
) -> None:
    changes = build(repo, "1.0", "devel")
    dput(repo, changes)
    took = wait_for(lambda: f"Package: {PACKAGE}\nVersion: 1.0\n" in served_packages(server))
    print(f"dput → served Packages: {took:.2f} s")
    assert wait_for(lambda: not os.listdir(repo.root / "incoming")) >= 0  # leftovers removed
    source = f"deb [signed-by={repo.keyring}] {server.url}apt/ devel main"
    apt = AptRoot(tmp_path / "apt", [source], installs=True)
    update = apt.run("update")
    assert update.returncode == 0 and not update.problems(), update.output
    got = apt.run("install", "-y", PACKAGE)
    assert got.returncode == 0 and f"Setting up {PACKAGE} (1.0)" in got.output, got.output
    admindir = apt.target / "var/lib/dpkg"
    state = subprocess.run(["dpkg-query", f"--admindir={admindir}", "-W", "-f",
                            "${Status} ${Version}", PACKAGE], capture_output=True, text=True)  # fmt: skip
    assert state.stdout == "install ok installed 1.0", state.stdout + state.stderr
    (deb,) = (tmp_path / "apt" / "cache" / "archives").glob(f"{PACKAGE}_1.0_all.deb")
    assert deb.read_bytes() == (changes.parent / deb.name).read_bytes()
    event = history.read(repo.root, "devel").events[-1]
    assert (event.event, event.changes) == (
        "upload",
        ((PACKAGE, None, "1.0"), (f"src:{PACKAGE}", None, "1.0")),
    )


def test_unsigned_upload_is_taken_aside_with_reprepros_reason(repo: Repo, server: Running) -> None:
    changes = build(repo, "1.1", "devel", signed=False)
    dput(repo, changes)
    wait_for(lambda: rejected(repo, changes) is not None)
    found = rejected(repo, changes)
    assert "No distribution accepting" in found["reason"] and not found["signed"], found
    aside = repo.root / "incoming" / "rejected" / found["folder"]
    assert sorted(os.listdir(aside)) == sorted([*found["files"], "reason.json"])
    assert changes.name in found["files"] and f"{PACKAGE}_1.1_all.deb" in found["files"]
    assert [n for n in os.listdir(repo.root / "incoming") if n != "rejected"] == []
    assert "Version: 1.1" not in served_packages(server)
    listing = suite(repo, "uploads", "/apt/").stdout
    assert re.search(rf"rejected\tdevel\t{re.escape(changes.name)}\t.*No distribution", listing)


def test_upload_to_a_read_only_tag_suite_is_rejected(repo: Repo, server: Running) -> None:
    changes = build(repo, "1.0", "5.0")
    dput(repo, changes)
    wait_for(lambda: rejected(repo, changes) is not None)
    assert "No distribution found" in rejected(repo, changes)["reason"]
    assert PACKAGE not in served_packages(server, "5.0")


def test_a_deb_after_its_changes_waits_then_goes_in(repo: Repo, server: Running) -> None:
    changes = build(repo, "1.2", "devel")
    deb = changes.parent / f"{PACKAGE}_1.2_all.deb"
    incoming = repo.root / "incoming"
    for file in changes.parent.iterdir():  # everything but the .deb
        if file.is_file() and file != deb:
            shutil.copy(file, incoming / file.name)
    time.sleep(1.5)  # the watcher saw it all, and waits
    (waiting,) = uploads(repo)["waiting"]
    assert (waiting["changes"], waiting["missing"]) == (changes.name, [deb.name])
    assert "Version: 1.2" not in served_packages(server)
    shutil.copy(deb, incoming / deb.name)
    wait_for(lambda: "Version: 1.2\n" in served_packages(server))
    assert rejected(repo, changes) is None


def test_rejections_on_the_page_and_counted_in_the_metrics(repo: Repo, server: Running) -> None:
    listed = uploads(repo)
    counts, names = listed["counts"], [r["changes"] for r in listed["rejected"]]
    assert counts["accepted"] >= 2 and counts["rejected"] == len(names) >= 2, listed
    page = wait_for_page(server, names)
    for name in names:
        assert name in page
    metrics = fetch(f"{server.url}-/metrics").body.decode()
    for outcome, count in counts.items():
        line = f'snapfront_uploads_total{{mount="/apt/",outcome="{outcome}"}} {float(count)}'
        assert line in metrics, metrics


def wait_for_page(server: Running, names: list[str]) -> str:
    page = ""

    def shows() -> bool:
        nonlocal page
        page = fetch(f"{server.url}apt/").body.decode()
        return "Rejected uploads" in page and all(n in page for n in names)

    wait_for(shows)
    return page


def test_suite_process_once_dry_run_then_purged(tmp_path: Path) -> None:
    """Without a watcher: `--dry-run` prints the plan and changes nothing; the run imports
    and purges what changed from the [[cdn]]; another mount's URL is refused."""
    repo = make_repo(tmp_path)
    changes = build(repo, "2.0", "devel")
    dput(repo, changes)
    before = tree_hash(repo.root)
    dry = suite(repo, "process", "/apt/", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    plan = f"ready\tdevel\t{changes.name}\treprepro processincoming snapfront {changes.name}"
    assert dry.stdout.splitlines() == [plan]
    assert tree_hash(repo.root) == before
    with recorded_purges(repo) as purged:  # type: ignore[arg-type]  # it needs .config only
        done = suite(repo, "process", "/apt/")
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines() == [f"accepted\tdevel\t{changes.name}\t{PACKAGE} 2.0"]
        assert "/apt/dists/devel/InRelease" in purged
        assert "/apt/dists/devel/main/binary-amd64/Packages" in purged, purged
    refused = suite(repo, "process", "/elsewhere/")
    assert refused.returncode == 2 and refused.stderr.startswith("snapfront: ")
    assert len(refused.stderr.splitlines()) == 1
