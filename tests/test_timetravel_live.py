"""The live archive and timestamp URLs on a real reprepro basedir, served by a real `snapfront
serve`, fetched by real apt-get. Snapshot Dates are set by re-writing each Release's `Date`
and re-signing it by hand (lifecycle_support.resign)."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path

import pytest

from snapfront import sample
from tests.apt_client import AptRoot
from tests.lifecycle_support import CODENAMES, World, resign, snapshot_cli, stop_agent, tree_hash
from tests.support import fetch, running_server, with_listen

pytestmark = pytest.mark.live


SIGNED = "public, max-age=120"
IMMUTABLE = "public, max-age=31536000, immutable"
UTC = dt.UTC


def when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


DATES = [when("2026-11-21 06:00:00"), when("2026-11-21 18:00:00"), when("2026-11-22 06:00:00")]


@pytest.fixture
def dated(world: World) -> World:
    """The three serials dated 2026-11-21 06:00, 2026-11-21 18:00 and 2026-11-22 06:00 UTC."""
    for serial, date in zip(world.serials, DATES, strict=True):
        resign(world, serial, date=date)
    return world


def inrelease(world: World, serial: str, codename: str = "bookworm") -> bytes:
    return (world.snapshot(codename, serial) / "InRelease").read_bytes()


def apt(world: World, tmp_path: Path, url: str, name: str) -> AptRoot:
    return AptRoot(tmp_path / name, [f"deb [signed-by={world.keyring}] {url} bookworm main"])


def updated(root: AptRoot) -> AptRoot:
    result = root.run("update")
    assert result.returncode == 0 and result.problems() == [], result.output
    source = (root.root / "sources.list").read_text().strip()
    found = {name: root.candidate(name) or "(none)" for name in ("hello", "extra")}
    print(f"apt-get update with {source}:\n{result.output}candidates: {found}\n")
    return root


def test_timestamps_floor_to_the_snapshot_dated_at_or_before(dated: World, tmp_path: Path) -> None:
    world = dated
    s1, s2, s3 = world.serials
    table = [  # (time in the URL, the serial whose bytes answer, or None: 404)
        ("20261121T060000Z", s1),  # exactly at the first
        ("20261121T120000Z", s1),  # between the first and the second
        ("20261121T180000Z", s2),  # exactly at the second
        ("20261122", s2),  # 2026-11-22T00:00:00Z
        ("20261122T060000Z", s3),
        ("20261125T000000Z", s3),  # after the last
        ("20261121T055959Z", None),  # a second before the first
        ("20261121", None),  # the first day's midnight: before the first
        ("20991231T000000Z", None),  # the future
    ]
    span = f"snapshots of bookworm span 20261121T060000Z ({s1}) to 20261122T060000Z ({s3})"
    config = with_listen(world.config, "127.0.0.1:0", world.dir / "test.toml")
    with running_server(config) as server:
        base = f"{server.url}debian"
        for stamp, serial in table:
            reply = fetch(f"{base}/{stamp}/dists/bookworm/InRelease")
            if serial is None:
                assert reply.status == 404, stamp
                assert reply.header("Cache-Control") == "no-store"
                text = reply.body.decode()
                assert text.rstrip("\n").endswith(span), text
                assert ("is in the future" in text) == stamp.startswith("2099"), text
                continue
            assert reply.status == 200, (stamp, reply.body[:200])
            assert reply.body == inrelease(world, serial), stamp
            assert reply.header("Cache-Control") == SIGNED, stamp
            packages = fetch(f"{base}/{stamp}/dists/bookworm/main/binary-amd64/Packages")
            assert packages.header("Cache-Control") == SIGNED  # gc can move the floor
        deb = fetch(f"{base}/20261121T120000Z/pool/main/h/hello/hello_1.0-1_all.deb")
        assert deb.status == 200 and deb.header("Cache-Control") == IMMUTABLE
        page = fetch(f"{base}/20261121T120000Z/")
        assert (page.status, page.header("Location")) == (302, f"/debian/{s1}/")
        page = fetch(f"{base}/20261125/dists/bookworm/main/")
        assert (page.status, page.header("Location")) == (302, f"/debian/{s3}/dists/bookworm/main/")

        # real apt-get: the floor serial's versions
        at_noon = updated(apt(world, tmp_path, f"{base}/20261121T120000Z/", "noon"))
        assert at_noon.candidate("hello") == "1.0-1"
        later = updated(apt(world, tmp_path, f"{base}/20261122T060000Z/", "later"))
        assert later.candidate("hello") == "1.1~rc1-1" and later.candidate("extra") == "1.0-1"
        download = later.run("download", "extra", cwd=tmp_path)
        assert download.returncode == 0 and download.problems() == [], download.output


def test_gc_moves_the_floor_never_stale_bytes(dated: World) -> None:
    world = dated
    s1, s2, s3 = world.serials
    url_path = "debian/20261121T200000Z/dists/bookworm/InRelease"  # floor: s2
    expired = dt.datetime.now(UTC) - dt.timedelta(days=3)
    config = with_listen(world.config, "127.0.0.1:0", world.dir / "test.toml")
    with running_server(config) as server:
        url = f"{server.url}{url_path}"
        assert fetch(url).body == inrelease(world, s2)  # in the server's memory now
        resign(world, s2, valid_until=expired)
        assert fetch(url).body == inrelease(world, s2)  # re-signed: the new bytes at once
        done = snapshot_cli(world, "gc", "/debian/")
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"removed serial {s2} (bookworm jessie/updates)\n")
        older = fetch(url)  # no waiting: the floor moved the moment the directory went
        assert (older.status, older.body) == (200, inrelease(world, s1))

        resign(world, s1, valid_until=expired)
        assert snapshot_cli(world, "gc", "/debian/").returncode == 0
        assert not world.snapshot("bookworm", s1).exists()
        gone = fetch(url)
        assert gone.status == 404, gone.body
        assert gone.body.decode().startswith(
            "no snapshot of bookworm at or before 20261121T200000Z; snapshots of bookworm span "
            f"20261122T060000Z ({s3}) to 20261122T060000Z ({s3})"
        )


def test_a_new_snapshot_is_seen_by_a_time_after_it(dated: World) -> None:
    world = dated
    config = with_listen(world.config, "127.0.0.1:0", world.dir / "test.toml")
    with running_server(config) as server:
        before = fetch(f"{server.url}debian/20261125/dists/bookworm/InRelease")
        assert before.body == inrelease(world, world.serials[2])
        taken = snapshot_cli(world, "take", "/debian/")
        assert taken.returncode == 0, taken.stderr
        serial = taken.stdout.strip()
        time.sleep(1.1)  # the Date is whole seconds; the server re-reads at most once a second
        now = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        reply = fetch(f"{server.url}debian/{now}/dists/bookworm/InRelease")
        assert (reply.status, reply.body) == (200, inrelease(world, serial))


def test_the_live_archive(world: World, tmp_path: Path) -> None:
    """/debian/ (no serial) is the basedir's live dists/; an includedeb shows up there while
    every serial stays as it was."""
    s1, _, s3 = world.serials
    snapshots = [f"dists/{c}/snapshots" for c in CODENAMES]
    config = with_listen(world.config, "127.0.0.1:0", world.dir / "test.toml")
    with running_server(config) as server:
        base = f"{server.url}debian"
        live = updated(apt(world, tmp_path, f"{base}/", "live"))
        assert live.candidate("hello") == "1.1~rc1-1" and live.candidate("extra") == "1.0-1"
        release = fetch(f"{base}/dists/bookworm/InRelease")
        assert release.header("Cache-Control") == SIGNED
        on_disk = fetch(f"{base}/dists/bookworm/snapshots/{s1}/InRelease")  # a snapshot's,
        assert on_disk.status == 200  # not the live archive's
        assert on_disk.body == fetch(f"{base}/{s1}/dists/bookworm/InRelease").body
        assert fetch(f"{base}/dists/bookworm/snapshots/").status == 404
        front = fetch(f"{base}/").body.decode().replace("<wbr>", "")  # as a browser copies it
        assert re.search(r"URIs: http://127\.0\.0\.1:\d+/debian/\n", front), front
        assert "Acquire::Snapshots::URI::Host::127.0.0.1" in front

        served = {s: fetch(f"{base}/{s}/dists/bookworm/InRelease").body for s in world.serials}
        before = {path: tree_hash(world.root / path) for path in snapshots}
        work = tmp_path / "pkg"
        work.mkdir()
        deb = sample.make_deb(work, "hello", "2.0-1")
        try:
            sample.reprepro(world.root, world.gnupghome, "includedeb", "bookworm", str(deb))
            sample.reprepro(world.root, world.gnupghome, "export", "bookworm")
        finally:
            stop_agent(world)
        assert updated(live).candidate("hello") == "2.0-1"
        download = live.run("download", "hello", cwd=tmp_path)
        assert download.returncode == 0 and (tmp_path / "hello_2.0-1_all.deb").exists()
        assert {path: tree_hash(world.root / path) for path in snapshots} == before
        for serial, body in served.items():
            assert fetch(f"{base}/{serial}/dists/bookworm/InRelease").body == body
        pinned = updated(apt(world, tmp_path, f"{base}/{s3}/", "pinned"))
        assert pinned.candidate("hello") == "1.1~rc1-1"


def test_live_false_serves_no_live_archive(world: World) -> None:
    text = world.config.read_text().replace(
        'kind = "snapshots"\n', 'kind = "snapshots"\nlive = false\n', 1
    )
    assert "live = false" in text
    config = with_listen(world.config, "127.0.0.1:0", world.dir / "test.toml")
    config.write_text(
        re.sub(r'(?m)^listen = ".*"$', 'listen = "127.0.0.1:0"', text)
    )  # fmt: skip
    with running_server(config) as server:
        for path in ("dists/bookworm/InRelease", "dists/", "dists/bookworm/"):
            assert fetch(f"{server.url}debian/{path}").status == 404, path
        assert (
            fetch(f"{server.url}debian/{world.serials[0]}/dists/bookworm/InRelease").status == 200
        )
        front = fetch(f"{server.url}debian/").body.decode()
        assert "Acquire::Snapshots" not in front and 'href="dists/"' not in front


def test_a_bumped_snapshot_keeps_the_day_its_serial_names(dated: World) -> None:
    """`snapshot bump` sets Date to now; for timestamps the snapshot still dates from its own
    day (the serial's YYYYMMDD), never from the day it was bumped."""
    from snapfront.basedir.dates import snapshot_date

    first = dated.serials[0]
    day_end = dt.datetime.strptime(first[:8], "%Y%m%d").replace(tzinfo=UTC) + dt.timedelta(days=1)
    resign(dated, first, date=day_end + dt.timedelta(days=30))  # as a bump a month later does
    got = snapshot_date(str(dated.root), "bookworm", first, str(dated.keyring))
    assert got == int(day_end.timestamp())
    resign(dated, first, date=DATES[0])  # an ordinary snapshot keeps its own Date
    assert snapshot_date(str(dated.root), "bookworm", first, str(dated.keyring)) == int(
        DATES[0].timestamp()
    )
