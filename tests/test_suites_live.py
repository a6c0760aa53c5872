"""Issue 22, the suites: `snapfront suite sync|list|merge|reset|tag` on a repository mount
built with real reprepro, gpg and git; apt-get reads a new overlay suite through `snapfront
serve`; merges refused by their guards change nothing; a killed change is rolled back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from snapfront import sample
from snapfront.base.atomic import atomic_write
from snapfront.basedir.intent import Intent, intent_path

from .apt_client import AptRoot
from .health_support import wait_for
from .lifecycle_support import recorded_purges
from .suites_support import SUITES, Host, build_host, tree_digest
from .support import fetch, running_server

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Host]:
    h = build_host(tmp_path_factory.mktemp("suites"))
    yield h
    sample.stop_agent(h.gnupghome)


def test_sync_creates_the_suites_of_branches_and_tags(host: Host) -> None:
    assert host.dry_run.returncode == 0, host.dry_run.stderr
    assert "would create bugfix-12345-whatever (overlay, from bugfix/12345-whatever)" in (
        host.dry_run.stdout
    )
    assert host.synced.returncode == 0, host.synced.stderr
    listed = host.suite("list", "--json")
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


def killed_change(host: Host, suite: str) -> list[str]:
    """A `suite-change` of `suite` killed after reprepro emptied it (its undo copy made, its
    record left by a pid that is gone); the suite's packages before it."""
    before = host.listed(suite)
    sample.reprepro(host.repo, host.gnupghome, "gensnapshot", suite, ".snapfront-undo")
    sample.reprepro(host.repo, host.gnupghome, "removematched", suite, "*")
    intent = Intent("suite-change", 999999, 1.0, (suite,), {"suite": suite, "phase": "changing"})
    atomic_write(intent_path(str(host.repo)), intent.to_json())
    assert host.listed(suite) == []
    return before


def test_a_killed_change_is_rolled_back_by_the_next_command(host: Host) -> None:
    before = killed_change(host, "testing")
    after = host.suite("merge", "testing", "testing")
    assert after.returncode == 0, after.stderr
    assert "rolled back: testing is as it was before" in after.stderr
    assert host.listed("testing") == before
    assert not os.path.exists(intent_path(str(host.repo)))


def test_the_watcher_rolls_back_a_killed_change_and_pages_follow_merges(
    host: Host, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GNUPGHOME", str(host.gnupghome))  # the watcher re-signs what it undoes
    before = killed_change(host, "stable")
    with running_server(host.config) as server:
        record = intent_path(str(host.repo))
        deadline = time.monotonic() + 15
        while os.path.exists(record) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not os.path.exists(record), "the watcher did not resolve the killed change"
        assert host.listed("stable") == before
        assert "/tails/: interrupted suite-change" in server.log.read_text()
        assert "rolled back: stable is as it was before" in server.log.read_text()

        page = f"{server.url}tails/dists/bugfix-12345-whatever/index.json"
        assert json.loads(fetch(page).body)["history"]["events"] == []
        put = host.suite("merge", "stable", "bugfix-12345-whatever")
        assert put.returncode == 0, put.stderr
        shown = wait_for(lambda: fetch(page), lambda r: json.loads(r.body)["history"]["events"])
        events = json.loads(shown.body)["history"]["events"]
        assert [(e["event"], e["detail"]) for e in events] == [("merge", "from stable"),
                                                                ("outside", "")]  # fmt: skip
        assert events[0]["changes"]["added"] == [{"package": "a", "version": "1.0-1"},
                                                 {"package": "b", "version": "2.0-1"}]  # fmt: skip
        top = json.loads(fetch(f"{server.url}tails/index.json").body)
        kinds = {g["kind"]: [s["name"] for s in g["suites"]] for g in top["suite_groups"]}
        assert kinds["overlay"] == ["bugfix-12345-whatever", "feature-x"]
        assert kinds["other"] == ["unstable"]
        row = next(s for s in top["suite_groups"][1]["suites"] if s["name"] == "feature-x")
        assert row["href"] == "/tails/dists/feature-x/" and row["last_event"] == "reset"
