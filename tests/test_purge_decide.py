"""What the purger purges, decided from the change alone: no HTTP, no basedir read.

A change carries the snapshots mount's codenames and serials before and after it; the URLs of
a serial that came, went, or came and went within one burst are all known from those."""

from __future__ import annotations

import pytest

from snapfront.purge import Changes
from snapfront.purge.decide import changed_paths, known_archives, purge_stages
from snapfront.rewrite_rules import Archive
from tests.test_resolve import RULES

pytestmark = pytest.mark.pure

MOUNTS, OUTPUT = RULES.mounts, RULES.output
OLD, NEW = "2026112101", "2026112102"
SNAPSHOTS = "/srv/snap/dists/bookworm/snapshots"


def archives(*serials: str, codenames: tuple[str, ...] = ("bookworm",)) -> dict[str, Archive]:
    """The /debian/ mount's archive: every codename with these serials."""
    return {"/debian/": Archive(codenames, {c: frozenset(serials) for c in codenames})}


def nothing_exists(path: str) -> bool:
    return False


def new_serial(serial: str) -> tuple[str, ...]:
    """What `reprepro gensnapshot bookworm SERIAL` writes, in part."""
    folder = f"{SNAPSHOTS}/{serial}"
    return (f"{folder}/InRelease", f"{folder}/main/binary-amd64/Packages")


def test_a_new_serial_index_files_then_its_release_then_the_pages() -> None:
    changes = Changes(
        new_serial(NEW),
        ("debian/index.html", "debian/project/trace/debian"),
        before=archives(OLD),
        after=archives(OLD, NEW),
    )
    index, release, pages = purge_stages(MOUNTS, OUTPUT, [changes], nothing_exists)
    assert index == (
        f"/debian/{NEW}/dists/bookworm/main/binary-amd64/Packages",
        f"/debian/dists/bookworm/snapshots/{NEW}/main/binary-amd64/Packages",
    )
    assert release == (
        f"/debian/{NEW}/dists/bookworm/InRelease",
        f"/debian/dists/bookworm/snapshots/{NEW}/InRelease",
    )
    assert pages == ("/debian", "/debian/", "/debian/index.html", "/debian/project/trace/debian")


def test_a_removed_serial_is_known_from_before_the_change() -> None:
    """gc removed NEW: only `before` still knows it, and its serial URLs are purged."""
    removed = Changes(new_serial(NEW), before=archives(OLD, NEW), after=archives(OLD))
    _, release, _ = purge_stages(MOUNTS, OUTPUT, [removed], nothing_exists)
    assert f"/debian/{NEW}/dists/bookworm/InRelease" in release
    unknown = Changes(new_serial(NEW), after=archives(OLD))  # what re-reading after would see
    _, release, _ = purge_stages(MOUNTS, OUTPUT, [unknown], nothing_exists)
    assert release == ()  # not even as spelt on disk: the rules serve known serials only


def test_a_serial_that_came_and_went_within_one_burst() -> None:
    """Neither the first change's `before` nor the last one's `after` knows it: the burst does."""
    came = Changes(new_serial(NEW), before=archives(OLD), after=archives(OLD, NEW))
    went = Changes(new_serial(NEW), before=archives(OLD, NEW), after=archives(OLD))
    _, release, _ = purge_stages(MOUNTS, OUTPUT, [came, went], nothing_exists)
    assert f"/debian/{NEW}/dists/bookworm/InRelease" in release


def test_a_dropped_codename_is_purged_under_the_serials_it_had() -> None:
    before = archives(OLD, codenames=("bookworm", "jessie"))
    dropped = Changes(
        (f"/srv/snap/dists/jessie/snapshots/{OLD}/InRelease",), (), before, archives(OLD)
    )
    _, release, _ = purge_stages(MOUNTS, OUTPUT, [dropped], nothing_exists)
    assert release == (
        f"/debian/{OLD}/dists/jessie/InRelease",
        f"/debian/dists/jessie/snapshots/{OLD}/InRelease",
    )


def test_pool_files_that_exist_are_new_removed_ones_are_purged_under_every_serial() -> None:
    added = "/srv/snap/pool/main/h/hello/hello_2.0-1_all.deb"
    removed = "/srv/snap/pool/main/h/hello/hello_1.0-1_all.deb"
    changes = Changes((added, removed), before=archives(OLD, NEW), after=archives(OLD))
    index, release, pages = purge_stages(MOUNTS, OUTPUT, [changes], {added}.__contains__)
    deb = "pool/main/h/hello/hello_1.0-1_all.deb"
    assert index == (f"/debian/{OLD}/{deb}", f"/debian/{NEW}/{deb}", f"/debian/{deb}")
    assert release == pages == ()


def test_known_archives_unite_codenames_and_serials_of_every_side() -> None:
    one = Changes(before=archives(OLD), after=archives(OLD, NEW, codenames=("bookworm", "trixie")))
    two = Changes(before={"/other/": Archive(("sid",), {"sid": frozenset({OLD})})})
    known = known_archives([one, two])
    assert known["/debian/"] == Archive(
        ("bookworm", "trixie"),
        {"bookworm": frozenset({OLD, NEW}), "trixie": frozenset({OLD, NEW})},
    )
    assert known["/other/"].codenames == ("sid",)
    assert known_archives([Changes()]) == {}


def test_changed_paths_are_absolute() -> None:
    changes = Changes(("/srv/repo/dists/x/../y/InRelease",), ("apt/dists/index.html.br",))
    assert changed_paths(OUTPUT, changes) == {
        "/srv/repo/dists/y/InRelease",
        "/var/lib/snapfront/apt/dists/index.html.br",
    }
