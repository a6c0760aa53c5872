"""The live archive and timestamp URLs, without a server: files, floors, 404 texts, classes."""

from __future__ import annotations

import calendar
import datetime as dt
import posixpath

import pytest

from snapfront.rewrite_rules import (
    Archive,
    CacheClass,
    Miss,
    MissReason,
    Mount,
    MountKind,
    Redirect,
    Rules,
    Target,
    resolve,
)
from snapfront.rewrite_rules.instants import instant_mount
from snapfront.rewrite_rules.reverse import PurgeStage, never_rewritten, purge_order, urls_for
from snapfront.rewrite_rules.timetravel import parse_instant, stamp

pytestmark = pytest.mark.pure


def at(text: str) -> int:
    """'2026-11-21 12:00:00' (UTC) as epoch seconds."""
    return calendar.timegm(dt.datetime.fromisoformat(text).timetuple())


S1, S2, S3 = "2026112101", "2026112102", "2026112201"
DATES = {
    ("bookworm", S1): at("2026-11-21 06:00:00"),
    ("bookworm", S2): at("2026-11-21 18:00:00"),
    ("bookworm", S3): at("2026-11-22 06:00:00"),
    ("jessie/updates", S2): at("2026-11-21 18:00:05"),  # snapshotted 5 s after bookworm
    ("jessie/updates", S3): at("2026-11-22 06:00:00"),
}
ARCHIVE = Archive(
    ("bookworm", "jessie/updates"),  # jessie/updates was added to conf/distributions at S2
    {"bookworm": frozenset({S1, S2, S3, "2026112301"}), "jessie/updates": frozenset({S2, S3})},
    DATES,  # 2026112301 has no Date: being written, or unsigned: never a floor
)
SNAP = Mount("/debian/", MountKind.SNAPSHOTS, "/srv/snap", "debian")
NOW = at("2026-11-26 00:00:00")
RULES = Rules([SNAP], "/out", {"/debian/": ARCHIVE})


def file_of(found: object) -> str:
    assert isinstance(found, Target), found
    return posixpath.join(found.sources[0].base, found.sources[0].relpath)


# ------------------------------------------------------------------ the live archive


@pytest.mark.parametrize(
    ("url", "file", "cache"),
    [
        ("/debian/dists/bookworm/InRelease", "dists/bookworm/InRelease", CacheClass.SIGNED_METADATA),
        ("/debian/dists/bookworm/Release.gpg", "dists/bookworm/Release.gpg", CacheClass.SIGNED_METADATA),
        ("/debian/dists/bookworm/main/binary-amd64/Packages.xz",
         "dists/bookworm/main/binary-amd64/Packages.xz", CacheClass.SIGNED_METADATA),
        ("/debian/dists/jessie/updates/main/source/Sources",
         "dists/jessie/updates/main/source/Sources", CacheClass.SIGNED_METADATA),
        ("/debian/dists/bookworm/main/binary-amd64/by-hash/SHA256/ab12",
         "dists/bookworm/main/binary-amd64/by-hash/SHA256/ab12", CacheClass.IMMUTABLE),
        ("/debian/pool/main/h/hello/hello_1.0-1_all.deb", "pool/main/h/hello/hello_1.0-1_all.deb",
         CacheClass.IMMUTABLE),
    ],
)  # fmt: skip
def test_live_files(url: str, file: str, cache: CacheClass) -> None:
    found = resolve(RULES, url, NOW)
    assert file_of(found) == f"/srv/snap/{file}"
    assert found.cache is cache


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("/debian/dists/bookworm/snapshots/", MissReason.NOT_FOUND),
        ("/debian/dists/bookworm/snapshots", MissReason.NOT_FOUND),
        ("/debian/dists/bookworm/snapshots/x/InRelease", MissReason.NOT_FOUND),
        ("/debian/dists/jessie/updates/snapshots/2026112101/Release", MissReason.UNKNOWN_SERIAL),
        ("/debian/dists/sid/InRelease", MissReason.UNKNOWN_CODENAME),
    ],
)
def test_live_never_serves_snapshots_through_its_path(url: str, reason: MissReason) -> None:
    """Only a known snapshot, spelt as it lies on disk, is served below snapshots/ (as
    /P/SERIAL/dists/CODENAME/…: tests/test_resolve.py); nothing else there, no listing."""
    found = resolve(RULES, url, NOW)
    assert isinstance(found, Miss) and found.reason is reason, found


def test_live_directories_without_slash_name_the_directory() -> None:
    """The server finds a directory there and redirects (301) to the URL with "/"."""
    assert file_of(resolve(RULES, "/debian/dists", NOW)) == "/srv/snap/dists"
    assert file_of(resolve(RULES, "/debian/dists/jessie/updates", NOW)) == (
        "/srv/snap/dists/jessie/updates"
    )


def test_live_pages() -> None:
    for url in ("/debian/dists/", "/debian/dists/bookworm/", "/debian/dists/jessie/updates/main/"):
        found = resolve(RULES, url, NOW)
        assert isinstance(found, Target) and found.directory and found.cache is CacheClass.VOLATILE
        assert found.sources[0].relpath == url.lstrip("/") + "index.html"


def test_live_false_serves_nothing_of_it() -> None:
    off = Mount("/debian/", MountKind.SNAPSHOTS, "/srv/snap", "debian", live=False)
    rules = Rules([off], "/out", {"/debian/": ARCHIVE})
    for url in ("/debian/dists/bookworm/InRelease", "/debian/dists/", "/debian/dists/bookworm/"):
        found = resolve(rules, url, NOW)
        assert isinstance(found, Miss) and found.status == 404, found
    assert urls_for(rules, "/srv/snap/dists/bookworm/InRelease") == []
    assert isinstance(resolve(rules, f"/debian/{S1}/dists/bookworm/InRelease", NOW), Target)


def test_live_purge_order_index_files_before_the_release_family() -> None:
    index, release, pages = purge_order(
        RULES,
        [
            "/srv/snap/dists/bookworm/InRelease",
            "/srv/snap/dists/bookworm/Release",
            "/srv/snap/dists/bookworm/main/binary-amd64/Packages.xz",
            "/out/debian/dists/bookworm/index.html",
        ],
    )
    assert index == ("/debian/dists/bookworm/main/binary-amd64/Packages.xz",)
    assert release == ("/debian/dists/bookworm/InRelease", "/debian/dists/bookworm/Release")
    assert "/debian/dists/bookworm/" in pages
    by_hash = "/srv/snap/dists/bookworm/main/binary-amd64/by-hash/SHA256/ab12"
    assert urls_for(RULES, by_hash) == [
        "/debian/dists/bookworm/main/binary-amd64/by-hash/SHA256/ab12"
    ]
    assert never_rewritten(RULES, by_hash)
    assert not never_rewritten(RULES, "/srv/snap/dists/bookworm/InRelease")
    assert PurgeStage.INDEX < PurgeStage.RELEASE


# ------------------------------------------------------------------ timestamps


def test_parse_instant() -> None:
    assert parse_instant("20261121T120000Z") == at("2026-11-21 12:00:00")
    assert parse_instant("20261121") == at("2026-11-21 00:00:00")  # as snapshot.debian.org
    for bad in ("20261321", "20261121T250000Z", "20261121T120000", "2026112", "2026112101"):
        assert parse_instant(bad) is None, bad


# (URL time, codename dists → expected serial; None = 404)
FLOORS = [
    ("20261121T060000Z", S1),  # exactly at S1's Date
    ("20261121T055959Z", None),  # one second before the first
    ("20261121T120000Z", S1),  # between S1 and S2
    ("20261121T180000Z", S1),  # bookworm's S2 is there, jessie/updates' not yet
    ("20261121T180005Z", S2),  # exactly when S2 was whole: its last codename's Date
    ("20261122", S2),  # 2026-11-22 00:00:00: the day's start, S3 is later that day
    ("20261122T060000Z", S3),
    ("20261125T000000Z", S3),  # after the last complete one (2026112301 has no Date)
    ("20261121", None),  # 00:00 on the first day: before the first
]


@pytest.mark.parametrize(("when", "serial"), FLOORS)
def test_floor_per_codename(when: str, serial: str | None) -> None:
    found = resolve(RULES, f"/debian/{when}/dists/bookworm/main/binary-amd64/Packages", NOW)
    if serial is None:
        assert isinstance(found, Miss) and found.status == 404, found
        assert found.reason is MissReason.NO_SNAPSHOT_AT
        assert found.message == (
            f"no snapshot of bookworm at or before {parse_instant_stamp(when)}; snapshots of "
            f"bookworm span 20261121T060000Z ({S1}) to 20261122T060000Z ({S3})"
        )
        return
    assert file_of(found) == (
        f"/srv/snap/dists/bookworm/snapshots/{serial}/main/binary-amd64/Packages"
    )
    assert found.cache is CacheClass.SIGNED_METADATA  # not immutable: gc moves the floor


def parse_instant_stamp(when: str) -> str:
    return when if "T" in when else when + "T000000Z"


def test_floor_is_per_codename_for_dists_and_any_codename_for_pool() -> None:
    # jessie/updates has only S2 (18:00:05): at 12:00 bookworm has S1, jessie/updates nothing.
    found = resolve(RULES, "/debian/20261121T120000Z/dists/jessie/updates/InRelease", NOW)
    assert isinstance(found, Miss) and "snapshots of jessie/updates span" in found.message
    assert f"20261121T180005Z ({S2}) to 20261122T060000Z ({S3})" in found.message
    found = resolve(RULES, "/debian/20261121T180005Z/dists/jessie/updates/InRelease", NOW)
    assert file_of(found) == f"/srv/snap/dists/jessie/updates/snapshots/{S2}/InRelease"
    pool = resolve(RULES, "/debian/20261121T120000Z/pool/main/h/hello/hello_1.0-1_all.deb", NOW)
    assert file_of(pool) == "/srv/snap/pool/main/h/hello/hello_1.0-1_all.deb"
    assert pool.cache is CacheClass.IMMUTABLE
    early = resolve(RULES, "/debian/20261120/pool/main/h/hello/hello_1.0-1_all.deb", NOW)
    assert isinstance(early, Miss) and early.message == (
        "no snapshot at or before 20261120T000000Z; snapshots span "
        f"20261121T060000Z ({S1}) to 20261122T060000Z ({S3})"
    )


def test_future_and_invalid_times_are_404_naming_the_range() -> None:
    future = resolve(RULES, "/debian/20261126T000001Z/dists/bookworm/InRelease", NOW)
    assert isinstance(future, Miss) and future.status == 404
    assert future.message.startswith("20261126T000001Z is in the future; snapshots of bookworm")
    now_exactly = resolve(RULES, "/debian/20261126T000000Z/dists/bookworm/InRelease", NOW)
    assert file_of(now_exactly).endswith(f"/snapshots/{S3}/InRelease")
    invalid = resolve(RULES, "/debian/20261399/dists/bookworm/InRelease", NOW)
    assert (
        isinstance(invalid, Miss) and invalid.status == 404 and "is not a time" in invalid.message
    )


def test_by_hash_through_a_timestamp_stays_immutable() -> None:
    url = "/debian/20261125/dists/bookworm/main/binary-amd64/by-hash/SHA256/ab12"
    found = resolve(RULES, url, NOW)
    assert file_of(found).endswith(f"/snapshots/{S3}/main/binary-amd64/by-hash/SHA256/ab12")
    assert found.cache is CacheClass.IMMUTABLE


@pytest.mark.parametrize(
    ("url", "location"),
    [
        ("/debian/20261121T120000Z/", f"/debian/{S1}/"),
        ("/debian/20261121T120000Z", f"/debian/{S1}/"),
        ("/debian/20261125/dists/", f"/debian/{S3}/dists/"),
        ("/debian/20261125/dists/bookworm/main/", f"/debian/{S3}/dists/bookworm/main/"),
        ("/debian/20261125/dists/jessie/updates/", f"/debian/{S3}/dists/jessie/updates/"),
        ("/debian/20261125/pool/main/h/", "/debian/pool/main/h/"),
    ],
)
def test_directories_redirect_302_to_the_serial(url: str, location: str) -> None:
    assert resolve(RULES, url, NOW) == Redirect(location, 302)


def test_a_newest_serial_wins_over_a_bumped_older_date() -> None:
    """bump gives an old serial today's Date: the floor still prefers the newer serial."""
    bumped = Archive(ARCHIVE.codenames, ARCHIVE.serials, {**DATES, ("bookworm", S1): NOW - 60})
    rules = Rules([SNAP], "/out", {"/debian/": bumped})
    found = resolve(rules, "/debian/20261125/dists/bookworm/InRelease", NOW)
    assert file_of(found).endswith(f"/snapshots/{S3}/InRelease")


def test_a_partial_take_is_no_floor_until_its_last_codename_has_it() -> None:
    """S4 for bookworm only (the cron's loop is between two gensnapshot runs): no instant
    reaches it; once jessie/updates has it too, instants from that later Date do."""
    s4, taken = "2026112501", NOW - 60
    serials = {**ARCHIVE.serials, "bookworm": ARCHIVE.serials["bookworm"] | {s4}}
    dates = {**DATES, ("bookworm", s4): taken - 30}
    taking = Rules([SNAP], "/out", {"/debian/": Archive(ARCHIVE.codenames, serials, dates)})
    found = resolve(taking, "/debian/20261126/dists/bookworm/InRelease", NOW)
    assert file_of(found).endswith(f"/snapshots/{S3}/InRelease")
    serials["jessie/updates"] = serials["jessie/updates"] | {s4}
    dates[("jessie/updates", s4)] = taken
    whole = Rules([SNAP], "/out", {"/debian/": Archive(ARCHIVE.codenames, serials, dates)})
    for when, serial in ((taken - 1, S3), (taken, s4)):
        url = f"/debian/{stamp(when)}/dists/bookworm/InRelease"
        assert file_of(resolve(whole, url, NOW)).endswith(f"/snapshots/{serial}/InRelease")


def test_instant_mount_names_timestamp_urls_only() -> None:
    assert instant_mount(RULES, "/debian/20261121T120000Z/dists/bookworm/InRelease") == SNAP
    assert instant_mount(RULES, "/debian/20261121/") == SNAP
    assert instant_mount(RULES, f"/debian/{S1}/dists/bookworm/InRelease") is None
    assert instant_mount(RULES, "/debian/pool/20261121/x.deb") is None
    assert instant_mount(RULES, "/debian/dists/bookworm/InRelease") is None
