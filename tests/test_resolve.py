"""The URL map, without a server: what every kind of URL resolves to, and what it never does."""

from __future__ import annotations

import posixpath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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

pytestmark = pytest.mark.pure


SERIALS = frozenset({"2026112101", "2026112102"})
SNAP = Mount("/debian/", MountKind.SNAPSHOTS, "/srv/snap", "debian", "/srv/keys/keyring.gpg")
REPO = Mount("/apt/", MountKind.REPOSITORY, "/srv/repo", "apt")
TAGGED = Mount("/tagged/", MountKind.TAGGED, "/srv/tagged", "tagged")
FILES = Mount("/", MountKind.FILES, "/srv/releases", "archive")
RULES = Rules(
    [FILES, SNAP, REPO, TAGGED],
    "/var/lib/snapfront",
    {
        "/debian/": Archive(
            ("bookworm", "jessie", "jessie/updates"),
            {"bookworm": SERIALS, "jessie": SERIALS, "jessie/updates": frozenset({"2026112102"})},
        )
    },
)


def target(path: str) -> Target:
    found = resolve(RULES, path)
    assert isinstance(found, Target), found
    return found


def file_of(path: str) -> str:
    source = target(path).sources[0]
    return posixpath.join(source.base, source.relpath)


@pytest.mark.parametrize(
    ("url", "file", "cache"),
    [
        (
            "/debian/2026112101/dists/bookworm/InRelease",
            "/srv/snap/dists/bookworm/snapshots/2026112101/InRelease",
            CacheClass.SIGNED_METADATA,
        ),
        (
            "/debian/2026112101/dists/bookworm/main/binary-amd64/Packages.gz",
            "/srv/snap/dists/bookworm/snapshots/2026112101/main/binary-amd64/Packages.gz",
            CacheClass.IMMUTABLE,
        ),
        (
            "/debian/2026112101/dists/bookworm/main/binary-amd64/Release",
            "/srv/snap/dists/bookworm/snapshots/2026112101/main/binary-amd64/Release",
            CacheClass.IMMUTABLE,
        ),
        (
            "/debian/2026112102/dists/jessie/updates/main/source/Sources",
            "/srv/snap/dists/jessie/updates/snapshots/2026112102/main/source/Sources",
            CacheClass.IMMUTABLE,
        ),
        (
            "/debian/2026112101/dists/jessie/Release.gpg",
            "/srv/snap/dists/jessie/snapshots/2026112101/Release.gpg",
            CacheClass.SIGNED_METADATA,
        ),
        (
            "/debian/2026112101/pool/main/h/hello/hello_1.1%7erc1-1_all.deb",
            "/srv/snap/pool/main/h/hello/hello_1.1~rc1-1_all.deb",
            CacheClass.IMMUTABLE,
        ),
        (
            "/debian/pool/main/h/hello/hello_0.9%2bdeb8u1_all.deb",
            "/srv/snap/pool/main/h/hello/hello_0.9+deb8u1_all.deb",
            CacheClass.IMMUTABLE,
        ),
        ("/debian/keyring.gpg", "/srv/keys/keyring.gpg", CacheClass.SIGNED_METADATA),
        ("/apt/dists/bookworm-mediawiki/InRelease", "/srv/repo/dists/bookworm-mediawiki/InRelease",
         CacheClass.SIGNED_METADATA),
        ("/apt/dists/b/main/binary-amd64/Packages", "/srv/repo/dists/b/main/binary-amd64/Packages",
         CacheClass.SIGNED_METADATA),
        ("/apt/dists/b/main/by-hash/SHA256/ab12", "/srv/repo/dists/b/main/by-hash/SHA256/ab12",
         CacheClass.IMMUTABLE),
        ("/apt/pool/main/m/mw/mw_1.0_all.deb", "/srv/repo/pool/main/m/mw/mw_1.0_all.deb",
         CacheClass.IMMUTABLE),
        ("/tagged/5.0/debian/dists/bookworm/InRelease",
         "/srv/tagged/5.0/debian/dists/bookworm/InRelease", CacheClass.IMMUTABLE),
        ("/tagged/5.0/debian/pool/main/h/hello/hello_1.0-1_all.deb",
         "/srv/tagged/5.0/debian/pool/main/h/hello/hello_1.0-1_all.deb", CacheClass.IMMUTABLE),
        ("/mediawiki/1.41/mediawiki-1.41.0.tar.gz", "/srv/releases/mediawiki/1.41/mediawiki-1.41.0.tar.gz",
         CacheClass.FILES),
    ],
)  # fmt: skip
def test_urls_map_onto_reprepro_layout(url: str, file: str, cache: CacheClass) -> None:
    assert file_of(url) == file
    assert target(url).cache is cache


def test_slash_codename_beats_its_prefix() -> None:
    # jessie/updates exists only in 2026112102; "jessie" alone must not swallow the URL.
    assert file_of("/debian/2026112102/dists/jessie/updates/InRelease") == (
        "/srv/snap/dists/jessie/updates/snapshots/2026112102/InRelease"
    )


def test_trace_prefers_generated_then_root() -> None:
    found = target("/debian/project/trace/debian")
    assert [(s.base, s.relpath, s.generated) for s in found.sources] == [
        ("/var/lib/snapfront", "debian/project/trace/debian", True),
        ("/srv/snap", "project/trace/debian", False),
    ]
    assert found.cache is CacheClass.VOLATILE


@pytest.mark.parametrize(
    ("url", "page"),
    [
        ("/", "index.html"),
        ("/debian/", "debian/index.html"),
        ("/debian/2026112101/", "debian/2026112101/index.html"),
        ("/debian/2026112101/changes/", "debian/2026112101/changes/index.html"),
        ("/debian/2026112102/dists/jessie/updates/", "debian/2026112102/dists/jessie/updates/index.html"),
        ("/debian/pool/main/h/", "debian/pool/main/h/index.html"),
        ("/apt/dists/", "apt/dists/index.html"),
        ("/tagged/5.0/debian/", "tagged/5.0/debian/index.html"),
        ("/mediawiki/1.41/", "mediawiki/1.41/index.html"),
    ],
)  # fmt: skip
def test_directory_urls_are_generated_pages(url: str, page: str) -> None:
    found = target(url)
    assert found.directory and found.cache is CacheClass.VOLATILE
    assert (found.sources[0].base, found.sources[0].relpath) == ("/var/lib/snapfront", page)


@pytest.mark.parametrize(
    ("url", "location"),
    [
        ("/debian", "/debian/"),
        ("/debian/2026112101/pool/", "/debian/pool/"),
        ("/debian/2026112101/pool/main/h/hello/", "/debian/pool/main/h/hello/"),
    ],
)
def test_redirects(url: str, location: str) -> None:
    assert resolve(RULES, url) == Redirect(location)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("/debian/2026112199/dists/bookworm/InRelease", MissReason.UNKNOWN_SERIAL),
        ("/debian/2026112101/dists/jessie/updates/InRelease", MissReason.UNKNOWN_SERIAL),
        ("/debian/2026112199/pool/main/h/hello/hello_1.0-1_all.deb", MissReason.UNKNOWN_SERIAL),
        ("/debian/2026112101/dists/sid/InRelease", MissReason.UNKNOWN_CODENAME),
        ("/debian/2026112199/changes/", MissReason.UNKNOWN_SERIAL),
        ("/debian/2026112199/changes.json", MissReason.UNKNOWN_SERIAL),
        ("/debian/2026112101/changes/x/", MissReason.NOT_FOUND),
        ("/debian/2026112101/changes.json/", MissReason.NOT_FOUND),
        ("/debian/2026112101/other/", MissReason.NOT_FOUND),
        ("/debian/20261121/dists/bookworm/InRelease", MissReason.NO_SNAPSHOT_AT),  # no Date
        ("/debian/conf/distributions", MissReason.NOT_FOUND),
        ("/debian/db/packages.db", MissReason.NOT_FOUND),
        ("/apt/conf/distributions", MissReason.FORBIDDEN_NAME),
        ("/apt/db/lockfile", MissReason.FORBIDDEN_NAME),
        ("/apt/db/", MissReason.FORBIDDEN_NAME),
        ("/apt/incoming/x.changes", MissReason.FORBIDDEN_NAME),
        ("/apt/logs/x.log", MissReason.FORBIDDEN_NAME),
        ("/apt/tmp/x", MissReason.FORBIDDEN_NAME),
        ("/apt/dists/b/main/binary-amd64/Packages.new", MissReason.FORBIDDEN_NAME),
        ("/tagged/5.0/debian/conf/distributions", MissReason.FORBIDDEN_NAME),
        ("/tagged/5.0/debian/db/checksums.db", MissReason.FORBIDDEN_NAME),
        ("/mediawiki/.htaccess", MissReason.NOT_FOUND),
        ("/mediawiki/../etc/passwd", MissReason.NOT_FOUND),
        ("/mediawiki/%2e%2e/%2e%2e/etc/passwd", MissReason.NOT_FOUND),
        ("/mediawiki%2f..%2f..%2fetc/passwd", MissReason.NOT_FOUND),
        ("/mediawiki/..%5c..%5cetc", MissReason.NOT_FOUND),
        ("/mediawiki\\..\\etc", MissReason.NOT_FOUND),
        ("/mediawiki/%00", MissReason.BAD_REQUEST),
        ("/mediawiki/%zz", MissReason.BAD_REQUEST),
        ("/mediawiki/%ff%fe", MissReason.BAD_REQUEST),
        ("/" + "a" * 5000, MissReason.TOO_LONG),
    ],
)
def test_misses(url: str, reason: MissReason) -> None:
    found = resolve(RULES, url)
    assert isinstance(found, Miss), found
    assert found.reason is reason
    assert found.status == {"bad-request": 400, "too-long": 414}.get(reason, 404)


def test_unknown_serial_lists_the_serials_that_exist() -> None:
    found = resolve(RULES, "/debian/2026112199/dists/jessie/updates/InRelease")
    assert isinstance(found, Miss)
    assert "2026112102" in found.message and "2026112101" not in found.message
    assert found.may_be_stale
    assert (found.serial, found.codename) == ("2026112199", "jessie/updates")


@pytest.mark.parametrize(
    "url", ["/debian/2026112199/pool/main/h/hello/hello_1.0-1_all.deb", "/debian/2026112199/"]
)
def test_unknown_serial_without_a_codename_names_the_serial(url: str) -> None:
    found = resolve(RULES, url)
    assert isinstance(found, Miss)
    assert (found.serial, found.codename) == ("2026112199", "")


def test_a_serial_found_on_disk_later_is_served_for_its_codenames_only() -> None:
    archive = RULES.archive(SNAP).with_serial("2026112199", ("bookworm",))
    rules = Rules(RULES.mounts, RULES.output, {**RULES.archives, SNAP.url: archive})
    assert isinstance(resolve(rules, "/debian/2026112199/dists/bookworm/InRelease"), Target)
    assert isinstance(resolve(rules, "/debian/2026112199/pool/main/h/hello/x.deb"), Target)
    missed = resolve(rules, "/debian/2026112199/dists/jessie/updates/InRelease")
    assert isinstance(missed, Miss) and missed.reason is MissReason.UNKNOWN_SERIAL


ROOTS = {m.url: m for m in RULES.mounts}
SEGMENT = st.sampled_from(
    ["..", ".", "%2e%2e", "%2E.", "%2f", "%5c", "\\", "", "%00", "pool", "dists", "bookworm",
     "jessie", "updates", "2026112101", "conf", "db", "main", "a", "%252e%252e", "~", "%7e",
     "x%2bb", ".hidden", "keyring.gpg", "project", "trace", "5.0", "debian", "apt", "tagged"]
)  # fmt: skip


@settings(max_examples=3000, deadline=None)
@given(st.lists(SEGMENT, max_size=10), st.booleans())
def test_every_target_stays_inside_its_base(segments: list[str], trailing: bool) -> None:
    path = "/" + "/".join(segments) + ("/" if trailing else "")
    found = resolve(RULES, path)
    if not isinstance(found, Target):
        return
    for source in found.sources:
        full = posixpath.normpath(posixpath.join(source.base, source.relpath))
        assert full.startswith(source.base.rstrip("/") + "/"), (path, full)
        assert ".." not in source.relpath.split("/")
        if not source.generated and source.base != "/srv/keys":
            assert source.base == found.mount.root
            rel = source.relpath.split("/")
            internals = {"conf", "db", "incoming", "logs", "tmp"}
            if found.mount.kind is MountKind.TAGGED:
                assert rel[2] in ("dists", "pool"), rel  # TAG/ARCHIVE/(dists|pool)/…
            elif found.mount.kind is not MountKind.FILES:
                assert rel[0] not in internals, rel


@pytest.mark.parametrize(
    ("url", "sources"),
    [
        ("/debian/2026112101/index.json", [("/var/lib/snapfront", "debian/2026112101/index.json")]),
        (
            "/mediawiki/feed.atom",
            [
                ("/var/lib/snapfront", "mediawiki/feed.atom"),
                ("/srv/releases", "mediawiki/feed.atom"),
            ],
        ),
        (
            "/apt/dists/index.html",
            [("/var/lib/snapfront", "apt/dists/index.html"), ("/srv/repo", "dists/index.html")],
        ),
        ("/apt/conf/index.html", None),
        ("/tagged/5.0/index.json", [("/var/lib/snapfront", "tagged/5.0/index.json")]),
    ],
)
def test_generated_names_answer_from_the_output_first(url: str, sources: list | None) -> None:
    found = resolve(RULES, url)
    if sources is None:
        assert isinstance(found, Miss)
        return
    assert isinstance(found, Target) and found.cache is CacheClass.VOLATILE
    assert [(s.base, s.relpath) for s in found.sources] == sources
    assert found.sources[0].generated


def test_changes_json_is_the_changes_page_json() -> None:
    """/P/SERIAL/changes.json answers with the generated /P/SERIAL/changes/index.json."""
    found = target("/debian/2026112101/changes.json")
    assert found.cache is CacheClass.VOLATILE and not found.directory
    assert [(s.base, s.relpath, s.generated) for s in found.sources] == [
        ("/var/lib/snapfront", "debian/2026112101/changes/index.json", True)
    ]
    assert file_of("/debian/2026112101/changes/index.json") == (
        "/var/lib/snapfront/debian/2026112101/changes/index.json"
    )


@pytest.mark.parametrize(
    ("url", "rel"),
    [
        ("/mediawiki/1.41/SHA256SUMS", "mediawiki/1.41/SHA256SUMS"),
        ("/SHA256SUMS", "SHA256SUMS"),
        ("/odd/a%20b/SHA256SUMS", "odd/a b/SHA256SUMS"),
    ],
)
def test_checksums_answer_from_the_root_first_then_the_output(url: str, rel: str) -> None:
    """A release manager's own SHA256SUMS wins; else the one the generator wrote."""
    found = target(url)
    assert found.cache is CacheClass.VOLATILE and not found.directory
    assert [(s.base, s.relpath, s.generated, s.confined) for s in found.sources] == [
        ("/srv/releases", rel, False, True),
        ("/var/lib/snapfront", rel, True, False),
    ]


def test_checksums_are_files_mount_only() -> None:
    """Elsewhere SHA256SUMS is a data file like any other (d-i's images/ hold one)."""
    assert [s.base for s in target("/apt/dists/b/main/SHA256SUMS").sources] == ["/srv/repo"]
    assert target("/mediawiki/1.41/SHA256SUMS/").directory
    assert isinstance(resolve(RULES, "/mediawiki/x.new/SHA256SUMS"), Miss)
