"""The watcher's pure parts: changed path → parts, batching until quiet, the watch-limit warning.
That building only the planned parts equals a full build: tests/test_watch_plan_live.py."""

from __future__ import annotations

import dataclasses
import math

import pytest

from snapfront.generator.batch import Batch
from snapfront.generator.observe import fits, limit_warning
from snapfront.generator.plan import (
    Change,
    Part,
    PartKind,
    affected,
    archive_parts,
    ignored,
    normalize,
)
from snapfront.rewrite_rules import Archive, Mount, MountKind

pytestmark = pytest.mark.pure


FILES = Mount("/", MountKind.FILES, "/srv/releases", "releases")
SNAPS = Mount("/debian/", MountKind.SNAPSHOTS, "/srv/debian", "debian")
REPO = Mount("/apt/", MountKind.REPOSITORY, "/srv/apt", "apt")
TAGGED = Mount("/tagged/", MountKind.TAGGED, "/srv/tagged", "tagged")
CODENAMES = ("bookworm", "jessie/updates")
S = "2026112203"


def parts(mount: Mount, rel: str, is_dir: bool = False, structural: bool = False) -> set[tuple]:
    found = affected(mount, CODENAMES, Change(rel, is_dir, structural))
    return {(p.kind.value, p.url) for p in found}


@pytest.mark.parametrize("rel", [
    "mediawiki/1.42/.mediawiki-1.42.0.tar.gz.Xa3bQ1",   # rsync's temporary file
    "mediawiki/.~tmp~/mediawiki-1.42.0.tar.gz",          # rsync --delay-updates
    "dists/bookworm/main/binary-amd64/Packages.new",     # reprepro
    "mediawiki/1.41/notes.txt~", "mediawiki/1.41/.notes.txt.swp", "mediawiki/1.41/x.swp",
])  # fmt: skip
def test_temporary_names_are_ignored(rel: str) -> None:
    assert ignored(rel)
    assert affected(FILES, (), Change(rel, False, True)) == frozenset()


def test_reprepro_internals_are_ignored() -> None:
    for rel in ("db/packages.db", "tmp/x", "logs/y", "incoming/z.changes"):
        assert parts(SNAPS, rel) == set() and parts(REPO, rel) == set(), rel
    assert parts(TAGGED, "5.0/debian/db/checksums.db") == set()


def test_a_suite_history_written_is_its_page_and_the_mount_page() -> None:
    """`snapfront suite` (or an upload) records db/snapfront-history/SUITE.json by a rename."""
    rel = "db/snapfront-history/bugfix-1-x.json"
    assert parts(REPO, rel, structural=True) == {("page", "/apt/"),
                                                 ("page", "/apt/dists/bugfix-1-x/")}  # fmt: skip
    assert parts(REPO, "db/snapfront-history/.bugfix-1-x.json.7.8.tmp") == set()
    assert parts(REPO, "db/snapfront-history/.lock") == set()
    assert parts(TAGGED, "5.0/debian/db/snapfront-history/x.json") == set()


def test_an_intent_record_come_or_gone_is_the_archive_page_and_the_trace() -> None:
    """A take's serial counts once its record is removed (generator.intents polls it)."""
    trace = ("trace", "/debian/project/trace/debian")
    assert parts(SNAPS, "db/snapfront.intent", structural=True) == {("page", "/debian/"), trace}
    assert parts(SNAPS, "db/.snapfront.intent.123.456.tmp") == set()


def test_new_tarball_its_directory_parent_and_feed() -> None:
    assert parts(FILES, "mediawiki/1.42/mediawiki-1.42.0.tar.gz", structural=True) == {
        ("page", "/mediawiki/1.42/"), ("feed", "/mediawiki/feed.atom")}  # fmt: skip
    # watchdog reports the directory as modified too: its row (mtime) on the parent's page
    assert parts(FILES, "mediawiki/1.42", is_dir=True) == {
        ("page", "/mediawiki/1.42/"), ("page", "/mediawiki/"), ("feed", "/mediawiki/feed.atom")}  # fmt: skip
    assert parts(FILES, "mediawiki/1.42", is_dir=True, structural=True) == {
        ("tree", "/mediawiki/1.42/"), ("page", "/mediawiki/"), ("feed", "/mediawiki/feed.atom")}  # fmt: skip
    assert parts(FILES, "README.md") == {("page", "/")}
    assert parts(FILES, "", is_dir=True, structural=True) == {("mount", "/")}


def test_snapshot_serial_maps_to_its_pages_front_and_trace() -> None:
    trace = ("trace", "/debian/project/trace/debian")
    new = parts(SNAPS, f"dists/bookworm/snapshots/{S}", is_dir=True, structural=True)
    assert new == {
        ("serial", f"/debian/{S}/"),
        ("page", "/debian/"),
        trace,
        ("tree", "/debian/pool/"),
    }
    signed = parts(SNAPS, f"dists/jessie/updates/snapshots/{S}/InRelease", structural=True)
    assert signed == {("serial", f"/debian/{S}/"), ("page", "/debian/"), trace}
    index = parts(SNAPS, f"dists/jessie/updates/snapshots/{S}/main/binary-amd64/Packages.gz")
    assert index == {("page", f"/debian/{S}/dists/jessie/updates/main/binary-amd64/")}
    assert parts(SNAPS, "conf/distributions") == {("codenames", "/debian/")}
    assert parts(SNAPS, "dists/trixie/snapshots", is_dir=True, structural=True) == {
        ("codenames", "/debian/"), ("live", "/debian/dists/")}  # fmt: skip
    # the live archive (/debian/dists/…): its pages, and the archive page for its stanza
    assert parts(SNAPS, "dists/bookworm/main/binary-amd64/Packages") == {("live", "/debian/dists/")}
    assert parts(SNAPS, "dists/bookworm/InRelease") == {
        ("live", "/debian/dists/"),
        ("page", "/debian/"),
    }
    off = dataclasses.replace(SNAPS, live=False)
    assert affected(off, CODENAMES, Change("dists/bookworm/InRelease", False, False)) == frozenset()
    assert parts(SNAPS, "project/trace/other") == {("page", "/debian/"), trace}
    assert parts(SNAPS, "pool/main/h/hello/hello_2.0_all.deb") == {
        ("page", "/debian/pool/main/h/hello/")
    }


def test_repository_and_tagged_basedirs() -> None:
    assert parts(REPO, "dists/bookworm-mediawiki/InRelease", structural=True) == {
        ("page", "/apt/dists/bookworm-mediawiki/"), ("page", "/apt/")}  # fmt: skip
    assert parts(REPO, "conf/distributions") == {("page", "/apt/"), ("tree", "/apt/dists/")}
    assert parts(TAGGED, "5.1", is_dir=True, structural=True) == {
        ("tree", "/tagged/5.1/"),
        ("page", "/tagged/"),
    }
    assert parts(TAGGED, "5.0/debian/conf/distributions") == {
        ("page", "/tagged/5.0/debian/"), ("tree", "/tagged/5.0/debian/dists/")}  # fmt: skip
    assert parts(TAGGED, "5.0/debian/pool/main/h/hello/x.deb") == {
        ("page", "/tagged/5.0/debian/pool/main/h/hello/")
    }


def test_normalize_keeps_only_the_widest() -> None:
    tree = Part(PartKind.TREE, "a", "/a/")
    inner = Part(PartKind.PAGE, "a/b", "/a/b/")
    parent = Part(PartKind.PAGE, "", "/")
    serial = Part(PartKind.SERIAL, S, f"/debian/{S}/")
    in_serial = Part(PartKind.PAGE, f"dists/bookworm/snapshots/{S}/main", "/x/", S)
    assert normalize({tree, inner, parent, serial, in_serial}) == {tree, parent, serial}
    whole = Part(PartKind.MOUNT, "", "/")
    assert normalize({whole, tree, parent}) == {whole}


def test_archive_parts_follow_codenames_and_serials() -> None:
    old = Archive(
        CODENAMES, {"bookworm": frozenset({"1", "2"}), "jessie/updates": frozenset({"1"})}
    )
    same = archive_parts(SNAPS, old, old)
    assert same == set()
    new = Archive(("bookworm",), {"bookworm": frozenset({"1", "2", "3"})})
    urls = {(p.kind.value, p.url) for p in archive_parts(SNAPS, old, new)}
    assert urls == {("serial", "/debian/1/"), ("serial", "/debian/3/"), ("page", "/debian/"),
                    ("trace", "/debian/project/trace/debian"), ("host", "/"),
                    ("page", "/debian/2/changes/")}  # fmt: skip  # 2 is compared with 1


def test_gc_between_serials_rewrites_the_next_changes_page() -> None:
    """gc removes 2: 3's changes page now compares with 1; 1's page does not change."""
    old = Archive(("bookworm",), {"bookworm": frozenset({"1", "2", "3"})})
    new = Archive(("bookworm",), {"bookworm": frozenset({"1", "3"})})
    parts = normalize(archive_parts(SNAPS, old, new))
    urls = {(p.kind.value, p.url) for p in parts}
    assert ("page", "/debian/3/changes/") in urls and ("serial", "/debian/2/") in urls
    assert not any(u.startswith("/debian/1/") for _, u in urls)
    assert ("host", "/") not in urls  # 3 is still the newest: the host's page stays
    taken = Archive(("bookworm",), {"bookworm": frozenset({"1", "3", "4"})})
    urls = {p.url for p in archive_parts(SNAPS, new, taken)}  # a new serial: its own part
    assert "/debian/4/" in urls and not any(u.endswith("/changes/") for u in urls)
    assert "/" in urls  # the newest serial changed: the host's front page shows it


def test_batch_is_due_when_quiet_or_after_max_wait() -> None:
    batch = Batch(quiet=0.5, max_wait=5.0)
    assert batch.due() is None
    batch.add("/a", False, True, now=10.0)
    batch.add("/a", False, False, now=10.2)
    assert batch.due() == pytest.approx(10.7)
    assert batch.take() == {"/a": (False, True)} and batch.due() is None
    for i in range(100):  # writes every 0.1 s never leave 0.5 s of quiet: max_wait decides
        batch.add(f"/b{i}", False, False, now=20.0 + i * 0.1)
    assert batch.due() == pytest.approx(25.0)


@pytest.mark.parametrize("seconds", [1.0, 7.5, 12.0])
def test_a_burst_gives_at_most_ceil_t_over_max_wait_plus_two_batches(seconds: float) -> None:
    """10,000 events spread over `seconds`, a build taking 0.2 s: how many builds."""
    batch, builds, now, events = Batch(quiet=0.5, max_wait=5.0), 0, 0.0, 10_000
    step = seconds / events
    for i in range(events):
        now = i * step
        due = batch.due()
        if due is not None and now >= due:
            batch.take()
            builds += 1
            now += 0.2
        batch.add(f"/f{i % 100}", False, False, now)
    while batch.due() is not None:
        batch.take()
        builds += 1
    assert builds <= math.ceil(seconds / 5.0) + 2


def test_watch_limit_warning_names_the_sysctl_and_the_number() -> None:
    assert fits(100, 8000, 8192) and not fits(200, 8000, 8192)
    text = limit_warning("/srv/releases", 2001, 8000, 8192)
    assert "fs.inotify.max_user_watches" in text and "10001" in text and "Polling" in text
