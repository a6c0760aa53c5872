"""Replication between two snapfront hosts on loopback (a real `rsync --daemon` serving the
modules of `snapfront rules --format rsyncd`): the passive's trees equal the active's and it
serves the same bytes and validators; an upload to the wrong host survives in quarantine;
the promoted passive's reprepro database works; `/-/ready` follows the last complete run."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from snapfront import sample
from tests.health_support import wait_for
from tests.lifecycle_support import tree_hash
from tests.replication_support import ROOTS, cli, passive, rsync_daemon
from tests.support import fetch, running_server, with_listen

pytestmark = pytest.mark.live

DB = ("db",)


@pytest.fixture(scope="module")
def active(tmp_path_factory: pytest.TempPathFactory) -> sample.SampleHost:
    """The sample host (two serials, every mount kind), built once."""
    return sample.build_sample_host(tmp_path_factory.mktemp("replication") / "active")


def _same_trees(one: Path, two: Path) -> None:
    for name in ROOTS:
        assert tree_hash(one / name, skip=DB) == tree_hash(two / name, skip=DB), name


def test_a_passive_holds_and_serves_what_the_active_has(
    active: sample.SampleHost, tmp_path: Path
) -> None:
    with rsync_daemon(active.config, tmp_path) as source:
        config = passive(active.config, tmp_path / "passive", source)
        done = cli(config, "replicate")
        assert done.returncode == 0, done.stderr
        assert "/debian/: " in done.stdout and "database installed" in done.stdout
    _same_trees(active.dir, config.parent)
    check = subprocess.run(["reprepro", "-b", config.parent / "snapshots/debian", "check"],
                           capture_output=True, text=True)  # fmt: skip
    assert check.returncode == 0, check.stderr
    serial = active.serials[-1]
    urls = [f"/debian/{serial}/dists/bookworm/InRelease", "/debian/project/trace/debian",
            "/mediawiki/1.41/mediawiki-1.41.1.tar.gz", "/apt/dists/bookworm-mediawiki/Release"]  # fmt: skip
    served = with_listen(active.config, "127.0.0.1:0", active.dir / "served.toml")
    with running_server(served, "--no-watch") as one, running_server(config, "--no-watch") as two:
        for url in urls:
            first, second = fetch(one.url.rstrip("/") + url), fetch(two.url.rstrip("/") + url)
            assert first.status == second.status == 200, url
            assert first.body == second.body, url
            for name in ("ETag", "Last-Modified"):
                assert first.header(name) == second.header(name), (url, name)


def test_an_upload_to_the_passive_survives_in_quarantine(
    active: sample.SampleHost, tmp_path: Path
) -> None:
    host = tmp_path / "active"
    shutil.copytree(active.dir, host, symlinks=True, ignore=shutil.ignore_patterns("S.*"))
    config_a = host / "snapfront.toml"
    with rsync_daemon(config_a, tmp_path) as source:
        config = passive(config_a, tmp_path / "passive", source)
        assert cli(config, "replicate").returncode == 0
        (host / "releases/mediawiki/1.41/mediawiki-1.41.2.tar.gz").write_bytes(b"new release\n")
        (
            host / "releases/mediawiki/1.41/mediawiki-1.41.0.tar.gz"
        ).unlink()  # the active deletes one
        wrong = config.parent / "releases/mediawiki/1.41/mediawiki-1.41.3.tar.gz"
        wrong.write_bytes(b"uploaded to the wrong host\n")
        done = cli(config, "replicate")
    assert done.returncode == 0, done.stderr
    root = config.parent / "releases"
    assert (root / "mediawiki/1.41/mediawiki-1.41.2.tar.gz").read_bytes() == b"new release\n"
    assert not (
        root / "mediawiki/1.41/mediawiki-1.41.0.tar.gz"
    ).exists()  # deleted, not quarantined
    assert not wrong.exists()
    kept = list((config.parent / "output/.snapfront/quarantine").rglob("mediawiki-1.41.3.tar.gz"))
    assert len(kept) == 1 and kept[0].read_bytes() == b"uploaded to the wrong host\n"
    assert (
        f"quarantined mediawiki/1.41/mediawiki-1.41.3.tar.gz (the active never had it): now {kept[0]}"
        in done.stdout
    )
    state = json.loads((config.parent / "output/.snapfront/replication.json").read_text())
    assert [q["path"] for q in state["quarantined"]] == ["mediawiki/1.41/mediawiki-1.41.3.tar.gz"]
    _same_trees(host, config.parent)  # nothing the active has was quarantined


def test_failover_the_promoted_passive_takes_a_snapshot_and_the_old_active_replicates_it(
    active: sample.SampleHost, tmp_path: Path
) -> None:
    host = tmp_path / "active"
    shutil.copytree(active.dir, host, symlinks=True, ignore=shutil.ignore_patterns("S.*"))
    config_a = host / "snapfront.toml"
    (tmp_path / "a").mkdir()
    with rsync_daemon(config_a, tmp_path / "a") as source:
        config_b = passive(config_a, tmp_path / "b", source)
        assert cli(config_b, "replicate").returncode == 0
    # flip: B active (its config's role), A passive pulling from B
    config_b.write_text(config_b.read_text().replace('role = "passive"\n', ""))
    basedir_b = config_b.parent / "snapshots/debian"
    serial = active.serials[0][:8] + "05"
    took = cli(config_b, "snapshot", "take", "/debian/", "--serial", serial,
               env={"GNUPGHOME": str(host / "gnupg")})  # fmt: skip
    subprocess.run(["gpgconf", "--kill", "all"], env={"GNUPGHOME": str(host / "gnupg")})
    assert took.returncode == 0, took.stderr
    check = subprocess.run(["reprepro", "-b", basedir_b, "check"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    refs = subprocess.run(["reprepro", "-b", basedir_b, "dumpreferences"], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip
    assert f"s=bookworm={active.serials[0]}" in refs and f"s=bookworm={serial}" in refs
    (tmp_path / "b-daemon").mkdir()
    with rsync_daemon(config_b, tmp_path / "b-daemon") as source_b:
        text = config_a.read_text().replace(
            'output = "output"', 'output = "output"\nrole = "passive"'
        )
        config_a.write_text(text + f'\n[replication]\nsource = "{source_b}"\n')
        done = cli(config_a, "replicate")
    assert done.returncode == 0, done.stderr
    assert (host / "snapshots/debian/dists/bookworm/snapshots" / serial / "InRelease").exists()
    _same_trees(host, config_b.parent)


def test_ready_on_the_passive_follows_replication(
    active: sample.SampleHost, tmp_path: Path
) -> None:
    """The watcher of a passive host runs a replication at once, then every interval (an hour
    here): ready after that run, not ready once max_replication_lag has passed."""
    with rsync_daemon(active.config, tmp_path) as source:
        extra = 'interval = "1h"\n[health]\nmax_replication_lag = "4s"\n'
        config = passive(active.config, tmp_path / "passive", source, extra)
        with running_server(config) as server:
            base = server.url.rstrip("/")
            ready = wait_for(lambda: fetch(base + "/-/ready"), lambda r: r.status == 200, 30)
            assert ready.status == 200, ready.body
            started = time.monotonic()
            stale = wait_for(lambda: fetch(base + "/-/ready"), lambda r: r.status == 503, 15)
            assert stale.status == 503 and b"replication: last complete run" in stale.body
            assert time.monotonic() - started < 15
            status = json.loads(fetch(base + "/-/status.json").body)
            assert status["replication"]["runs"] >= 1
            assert status["mounts"][0]["replication_serial_lag_seconds"] == 0
