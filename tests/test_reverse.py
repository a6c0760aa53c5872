"""File → URLs for purging, the purge order, and the cache policy that caches in front read."""

from __future__ import annotations

import pytest

from snapfront.rewrite_rules import (
    DEFAULT_CACHE_CONTROL,
    Archive,
    CacheClass,
    Rules,
    Target,
    resolve,
)
from snapfront.rewrite_rules.policy import cache_control_problem, surrogate_key
from snapfront.rewrite_rules.reverse import PurgeStage, never_rewritten, purge_order, urls_for
from tests.test_resolve import REPO, RULES

pytestmark = pytest.mark.pure


OLD, NEW = "2026112101", "2026112102"


@pytest.mark.parametrize(
    ("path", "urls"),
    [
        ("/srv/snap/dists/bookworm/snapshots/2026112101/main/binary-amd64/Packages",
         ["/debian/2026112101/dists/bookworm/main/binary-amd64/Packages",  # and as on disk:
          "/debian/dists/bookworm/snapshots/2026112101/main/binary-amd64/Packages"]),
        ("/srv/snap/dists/jessie/updates/snapshots/2026112102/InRelease",
         ["/debian/2026112102/dists/jessie/updates/InRelease",
          "/debian/dists/jessie/updates/snapshots/2026112102/InRelease"]),
        ("/srv/snap/pool/main/h/hello/hello_1.0-1_all.deb",
         ["/debian/pool/main/h/hello/hello_1.0-1_all.deb",
          f"/debian/{OLD}/pool/main/h/hello/hello_1.0-1_all.deb",
          f"/debian/{NEW}/pool/main/h/hello/hello_1.0-1_all.deb"]),
        ("/srv/repo/dists/bookworm-mediawiki/InRelease", ["/apt/dists/bookworm-mediawiki/InRelease"]),
        ("/srv/repo/pool/main/m/mw/mw_1.0+x_all.deb",  # resolve's form, the pages' link, APT's
         ["/apt/pool/main/m/mw/mw_1.0+x_all.deb", "/apt/pool/main/m/mw/mw_1.0%2Bx_all.deb",
          "/apt/pool/main/m/mw/mw_1.0%2bx_all.deb"]),
        ("/srv/tagged/5.0/debian/dists/bookworm/InRelease", ["/tagged/5.0/debian/dists/bookworm/InRelease"]),
        ("/srv/releases/mediawiki/1.41/mediawiki-1.41.0.tar.gz", ["/mediawiki/1.41/mediawiki-1.41.0.tar.gz"]),
        ("/srv/keys/keyring.gpg", ["/debian/keyring.gpg"]),
        ("/srv/snap/project/trace/debian", ["/debian/project/trace/debian"]),
        ("/var/lib/snapfront/debian/project/trace/debian", ["/debian/project/trace/debian"]),
        ("/var/lib/snapfront/apt/dists/index.html", ["/apt/dists/index.html", "/apt/dists/", "/apt/dists"]),
        ("/var/lib/snapfront/apt/dists/index.html.br", ["/apt/dists/index.html", "/apt/dists/", "/apt/dists"]),
        ("/var/lib/snapfront/index.html.gz", ["/index.html", "/"]),
        ("/var/lib/snapfront/debian/2026112101/dists/index.json", ["/debian/2026112101/dists/index.json"]),
        ("/var/lib/snapfront/mediawiki/feed.atom", ["/mediawiki/feed.atom"]),
        ("/var/lib/snapfront/debian/2026112101/changes/index.json.gz",
         ["/debian/2026112101/changes/index.json", "/debian/2026112101/changes.json"]),
        ("/srv/snap/dists/bookworm/InRelease", ["/debian/dists/bookworm/InRelease"]),  # live
        ("/var/lib/snapfront/mediawiki/1.41/SHA256SUMS", ["/mediawiki/1.41/SHA256SUMS"]),
        ("/srv/releases/mediawiki/1.41/SHA256SUMS", ["/mediawiki/1.41/SHA256SUMS"]),  # theirs
        ("/var/lib/snapfront/SHA256SUMS", ["/SHA256SUMS"]),
        # never served, so never purged
        ("/srv/snap/dists/bookworm/snapshots/2026112199/InRelease", []),  # a serial never seen
        ("/srv/repo/conf/distributions", []),
        ("/srv/repo/db/packages.db", []),
        ("/srv/repo/dists/b/main/binary-amd64/Packages.new", []),
        ("/srv/tagged/5.0/debian/conf/distributions", []),
        ("/srv/releases/debian/x", []),  # /debian/ belongs to the snapshots mount
        ("/var/lib/snapfront/.snapfront/hashes.json", []),
        ("/var/lib/snapfront/apt/dists/.index.html.123.tmp", []),
        ("/etc/passwd", []),
    ],
)  # fmt: skip
def test_urls_for(path: str, urls: list[str]) -> None:
    assert sorted(urls_for(RULES, path)) == sorted(urls)


@pytest.mark.parametrize(
    "path",
    [
        "/srv/snap/dists/jessie/updates/snapshots/2026112102/main/binary-amd64/Packages.gz",
        "/srv/snap/pool/main/h/hello/hello_1.1~rc1-1_all.deb",
        "/srv/repo/dists/bookworm-mediawiki/main/binary-amd64/Packages",
        "/srv/releases/mediawiki/1.41/mediawiki-1.41.0.tar.gz.sig",
        "/var/lib/snapfront/debian/pool/main/h/index.html.br",
        "/var/lib/snapfront/debian/2026112101/changes/index.html",
        "/var/lib/snapfront/debian/2026112101/changes/index.json",
    ],
)
def test_every_url_resolves_back_to_the_file(path: str) -> None:
    """The inverse agrees with resolve, in every spelling (one source of truth)."""
    found = urls_for(RULES, path)
    assert found
    served = path.replace(".html.br", ".html")
    for url in found:
        if url + "/" in found:
            continue  # a page's URL without its "/": a 301 to it (a directory on disk here)
        answer = resolve(RULES, url)
        assert isinstance(answer, Target), (url, answer)
        assert served in {f"{s.base}/{s.relpath}" for s in answer.sources}


def test_a_removed_serial_is_purged_with_rules_that_still_know_it() -> None:
    archive = RULES.archives["/debian/"]
    serials = {**archive.serials, "bookworm": frozenset({OLD, NEW, "2026112199"})}
    rules = Rules(RULES.mounts, RULES.output, {"/debian/": Archive(archive.codenames, serials)})
    path = "/srv/snap/dists/bookworm/snapshots/2026112199/InRelease"
    assert urls_for(rules, path) == [
        "/debian/dists/bookworm/snapshots/2026112199/InRelease",
        "/debian/2026112199/dists/bookworm/InRelease",
    ]


def test_a_snapshot_spelt_as_on_disk_is_purged_in_its_stage() -> None:
    """A bump re-signs a snapshot: its InRelease is dropped under both spellings, after the
    index files (also under both), so no cache keeps the old one under the other name."""
    folder = "/srv/snap/dists/bookworm/snapshots/2026112101"
    index, release, _ = purge_order(RULES, [f"{folder}/InRelease", f"{folder}/main/Packages"])
    assert index == (
        "/debian/2026112101/dists/bookworm/main/Packages",
        "/debian/dists/bookworm/snapshots/2026112101/main/Packages",
    )
    assert release == (
        "/debian/2026112101/dists/bookworm/InRelease",
        "/debian/dists/bookworm/snapshots/2026112101/InRelease",
    )


def test_purge_order_index_files_then_release_family_then_pages() -> None:
    paths = [
        "/var/lib/snapfront/apt/dists/bookworm-mediawiki/index.html",
        "/srv/repo/dists/bookworm-mediawiki/InRelease",
        "/srv/repo/dists/bookworm-mediawiki/Release.gpg",
        "/srv/repo/dists/bookworm-mediawiki/Release",
        "/srv/repo/dists/bookworm-mediawiki/main/binary-amd64/Packages.gz",
        "/srv/repo/dists/bookworm-mediawiki/main/binary-amd64/Release",
        "/var/lib/snapfront/apt/project/trace/apt",
        "/srv/repo/dists/bookworm-mediawiki/main/binary-amd64/Packages",
    ]
    d = "/apt/dists/bookworm-mediawiki"
    assert purge_order(RULES, paths) == [
        (f"{d}/main/binary-amd64/Packages", f"{d}/main/binary-amd64/Packages.gz",
         f"{d}/main/binary-amd64/Release"),
        (f"{d}/InRelease", f"{d}/Release", f"{d}/Release.gpg"),
        (d, f"{d}/", f"{d}/index.html", "/apt/project/trace/apt"),
    ]  # fmt: skip
    assert purge_order(RULES, ["/srv/repo/conf/distributions"]) == [(), (), ()]
    assert [s.value for s in PurgeStage] == [0, 1, 2]


def test_purge_order_checksums_after_the_files_they_list() -> None:
    """A cache never holds new sums for files it still answers with old bytes."""
    d = "/mediawiki/1.41"
    paths = [
        "/var/lib/snapfront/mediawiki/1.41/SHA256SUMS",
        "/srv/releases/mediawiki/1.41/SHA256SUMS.asc",
        "/srv/releases/mediawiki/1.41/mediawiki-1.41.1.tar.gz",
        "/var/lib/snapfront/mediawiki/1.41/index.html",
    ]
    assert purge_order(RULES, paths) == [
        (f"{d}/mediawiki-1.41.1.tar.gz",),
        (f"{d}/SHA256SUMS.asc",),
        (d, f"{d}/", f"{d}/SHA256SUMS", f"{d}/index.html"),
    ]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/srv/snap/pool/main/h/hello/hello_1.0-1_all.deb", True),
        ("/srv/repo/pool/main/m/mw/mw_1.0_all.deb", True),
        ("/srv/repo/dists/b/main/by-hash/SHA256/ab12", True),
        ("/srv/tagged/5.0/debian/pool/main/h/hello/hello_1.0-1_all.deb", True),
        ("/srv/repo/dists/b/InRelease", False),
        ("/srv/snap/dists/bookworm/snapshots/2026112101/main/binary-amd64/Packages", False),
        ("/srv/releases/pool/x.tar.gz", False),  # a files mount has no reprepro pool
        ("/var/lib/snapfront/debian/pool/index.html", False),
    ],
)
def test_never_rewritten(path: str, expected: bool) -> None:
    assert never_rewritten(RULES, path) is expected


def test_default_policy_is_what_caches_in_front_need() -> None:
    for cls, value in DEFAULT_CACHE_CONTROL.items():
        assert cache_control_problem(cls, value) is None
        if cls is not CacheClass.ERROR:
            assert "max-age=" in value  # Traffic Server stores nothing without it
    assert "stale-while-revalidate" not in DEFAULT_CACHE_CONTROL[CacheClass.SIGNED_METADATA]
    assert "s-maxage" not in DEFAULT_CACHE_CONTROL[CacheClass.SIGNED_METADATA]
    assert "s-maxage=" in DEFAULT_CACHE_CONTROL[CacheClass.VOLATILE]


@pytest.mark.parametrize(
    ("cls", "value", "problem"),
    [
        (CacheClass.FILES, "public", "must contain max-age"),
        (CacheClass.FILES, "public, s-maxage=60", "must contain max-age"),
        (CacheClass.SIGNED_METADATA, "public, max-age=60, stale-while-revalidate=5", "stale"),
        (CacheClass.FILES, "no-store", None),
        (CacheClass.ERROR, "no-cache", None),
        (CacheClass.VOLATILE, "public, max-age=5, stale-while-revalidate=5", None),
    ],
)
def test_cache_control_problem(cls: CacheClass, value: str, problem: str | None) -> None:
    found = cache_control_problem(cls, value)
    assert (found is None) if problem is None else (problem in (found or ""))


def test_surrogate_key_per_mount_and_class() -> None:
    assert surrogate_key(REPO.url, CacheClass.IMMUTABLE) == "snapfront mount:/apt/ class:immutable"
    assert surrogate_key("/a b/", CacheClass.VOLATILE) == "snapfront mount:/a%20b/ class:volatile"
