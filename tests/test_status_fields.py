"""/-/status.json and /-/metrics against a real `snapfront serve`: every field the operator
reads (version, per mount the newest serial, its age, earliest Valid-Until, serial count,
every mount's newest data, purger, watcher lag), and a files mount's newest data following
an rsync that brings older and newer files, without turning /-/ready 503."""

from __future__ import annotations

import calendar
import datetime as dt
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from snapfront import __version__
from snapfront.sample import SampleHost
from tests.health_support import private_config, status, wait_for
from tests.support import fetch, running_server

pytestmark = pytest.mark.live


DAY = 86400


def _epoch(iso: str) -> int:
    return calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ"))


def _release_dates(root: Path, serial: str) -> tuple[list[int], list[int]]:
    """Date and Valid-Until of every codename's InRelease in `serial`, read as APT would."""
    dates, untils = [], []
    for inrelease in root.glob(f"dists/**/snapshots/{serial}/InRelease"):
        fields = dict(
            line.split(": ", 1) for line in inrelease.read_text().splitlines() if ": " in line
        )
        for key, into in (("Date", dates), ("Valid-Until", untils)):
            parsed = dt.datetime.strptime(fields[key], "%a, %d %b %Y %H:%M:%S %Z")
            into.append(calendar.timegm(parsed.timetuple()))
    return dates, untils


def _newest_mtime(root: Path) -> tuple[int, str]:
    """The newest mtime under `root` (itself included), walked the slow way, as a check."""
    best = (root.stat().st_mtime_ns, "")
    real = root.resolve()
    for path in root.rglob("*"):
        if not path.resolve().is_relative_to(real):
            continue  # the canary fixture's links out of the root: never data of this mount
        best = max(best, (path.stat().st_mtime_ns, path.relative_to(root).as_posix()))
    return best


def _rsync(*args: str | Path) -> None:
    tool = shutil.which("rsync")
    assert tool, "rsync is missing: apt-get install rsync"
    subprocess.run([tool, "-a", *map(str, args)], check=True)


def _age(tree: Path, when: int, newest: Path) -> None:
    """Every entry of `tree` as old as `when`, but `newest` ten seconds newer."""
    for path in [tree, *tree.rglob("*")]:
        os.utime(path, (when, when), follow_symlinks=False)
    os.utime(newest, (when + 10, when + 10))


def _files_mount(reply) -> dict:
    return {m["url"]: m for m in json.loads(reply.body)["mounts"]}["/"]


def _metric(base: str, name: str, mount: str) -> float | None:
    for line in fetch(base + "/-/metrics").body.decode().splitlines():
        if line.startswith(f'{name}{{mount="{mount}"}} '):
            return float(line.split()[-1])
    return None


def test_status_fields_and_a_files_mount_newest_data(
    sample_host: SampleHost, tmp_path: Path
) -> None:
    releases = tmp_path / "releases"  # a copy this test may change (the host is shared)
    _rsync(f"{sample_host.files_root}/", f"{releases}/")
    day_old = int(time.time()) - DAY
    _age(releases, day_old, releases / "mediawiki" / "1.41" / "mediawiki-1.41.1.tar.gz")
    config = private_config(sample_host, tmp_path)
    config.write_text(config.read_text().replace(str(sample_host.files_root), str(releases)))
    new = sample_host.serials[1]
    with running_server(config) as running:
        base = running.url.rstrip("/")
        doc = status(base)
        assert doc["version"] == __version__
        mounts = {m["url"]: m for m in doc["mounts"]}
        assert [m["url"] for m in doc["mounts"]] == ["/debian/", "/apt/", "/tagged/", "/"]

        debian = mounts["/debian/"]
        assert (debian["kind"], debian["newest_serial"], debian["serials"]) == ("snapshots", new, 2)
        dates, untils = _release_dates(sample_host.snapshots_root, new)
        assert _epoch(debian["newest_serial_taken"]) == min(dates)
        assert _epoch(debian["valid_until"]) == min(untils)
        age = debian["newest_serial_age_seconds"]
        assert abs(age - (_epoch(doc["time"]) - min(dates))) <= 1 and 0 <= age < DAY
        assert 364 * DAY < debian["valid_remaining_seconds"] <= 365 * DAY
        assert debian["newest_data"] == debian["newest_serial_taken"]

        files = mounts["/"]
        assert (files["kind"], files["newest_serial"], files["serials"]) == ("files", None, 0)
        assert _newest_mtime(releases) == ((day_old + 10) * 10**9, files["newest_data_path"])
        assert files["newest_data_path"] == "mediawiki/1.41/mediawiki-1.41.1.tar.gz"
        assert _epoch(files["newest_data"]) == day_old + 10
        assert DAY - 20 <= files["newest_data_age_seconds"] < DAY
        # a day-old release tree is no reason to fail over: only snapshots' serials are
        assert fetch(base + "/-/ready").status == 200
        for url in ("/apt/", "/tagged/"):
            assert mounts[url]["newest_data"] is not None, mounts[url]

        watcher, purger = doc["watcher"], doc["purger"]
        assert watcher["alive"] and watcher["lag_seconds"] == 0.0, watcher
        assert purger == {
            "queue": 0, "batches": 0, "purged": 0, "failed": 0, "skipped": 0, "retries": 0,
        }  # fmt: skip
        exposition = fetch(base + "/-/metrics").body.decode()
        assert "snapfront_watcher_lag_seconds 0.0" in exposition
        assert "snapfront_purge_queue_batches 0.0" in exposition

        # rsync brings a release made an hour ago on the active (-a keeps the mtimes)
        made = int(time.time()) - 3600
        incoming = tmp_path / "incoming"
        tarball = incoming / "mediawiki" / "1.43" / "mediawiki-1.43.0.tar.gz"
        tarball.parent.mkdir(parents=True)
        tarball.write_bytes(b"not really a tarball\n")
        _age(incoming, made - 1, tarball)
        os.utime(tarball, (made, made))
        _rsync(f"{incoming}/", f"{releases}/")

        def shows(wanted: str):
            return wait_for(
                lambda: fetch(base + "/-/status.json"),
                lambda r: _files_mount(r)["newest_data_path"] == wanted,
            )

        files = _files_mount(shows("mediawiki/1.43/mediawiki-1.43.0.tar.gz"))
        assert files["newest_data_path"] == "mediawiki/1.43/mediawiki-1.43.0.tar.gz", files
        assert _epoch(files["newest_data"]) == made
        assert 3600 <= files["newest_data_age_seconds"] < 3700
        age = _metric(base, "snapfront_newest_data_age_seconds", "/")
        assert age is not None and 3600 <= age < 3700
        assert _metric(base, "snapfront_newest_data_timestamp_seconds", "/") == made
        assert fetch(base + "/-/ready").status == 200

        # rsync --delete of the whole new release: its parent's mtime (the active's) is newest
        shutil.rmtree(releases / "mediawiki" / "1.43")
        os.utime(releases / "mediawiki", (made + 5, made + 5))
        files = _files_mount(shows("mediawiki"))
        assert (files["newest_data_path"], _epoch(files["newest_data"])) == ("mediawiki", made + 5)
