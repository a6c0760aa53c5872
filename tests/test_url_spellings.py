"""Two more spellings of a URL, without a server: runs of "/" (Tails' `BASE_URL` ends in "/"
and its scripts add `/$origin/…`) and snapshots as reprepro lays them out on disk
(`/P/dists/CODENAME/snapshots/SERIAL/F`, what Tails' apt-snapshots-expiry reads)."""

from __future__ import annotations

import dataclasses
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snapfront.rewrite_rules import Miss, MissReason, Redirect, Rules, Target, resolve
from snapfront.rewrite_rules.paths import merge_slashes
from tests.test_resolve import RULES, SEGMENT

# ------------------------------------------------------------------ runs of "/"


pytestmark = pytest.mark.pure


@pytest.mark.parametrize(
    ("url", "location"),
    [
        ("//debian/project/trace/debian", "/debian/project/trace/debian"),
        ("//", "/"),
        ("///", "/"),
        ("//debian", "/debian"),  # then the mount's own 301 to /debian/
        ("/debian//", "/debian/"),
        ("/debian//2026112101/dists/bookworm/InRelease", "/debian/2026112101/dists/bookworm/InRelease"),
        ("/debian/2026112102//dists///jessie//updates/InRelease",
         "/debian/2026112102/dists/jessie/updates/InRelease"),
        ("/debian//20261121T120000Z/dists/bookworm/InRelease",
         "/debian/20261121T120000Z/dists/bookworm/InRelease"),
        ("//debian/pool/main/h/hello/hello_0.9%2bdeb8u1_all.deb",  # encoding kept as sent
         "/debian/pool/main/h/hello/hello_0.9%2bdeb8u1_all.deb"),
        ("//apt/dists/bookworm-mediawiki/InRelease", "/apt/dists/bookworm-mediawiki/InRelease"),
        ("/tagged//5.0/debian/pool/", "/tagged/5.0/debian/pool/"),
        ("/mediawiki//1.41/", "/mediawiki/1.41/"),
        ("//-/ready", "/-/ready"),
        ("/-//healthy", "/-/healthy"),
        ("/-/static//snapfront.css", "/-/static/snapfront.css"),
        ("http://releases.example.org//debian/project/trace/debian",  # absolute-form target
         "/debian/project/trace/debian"),
    ],
)  # fmt: skip
def test_a_run_of_slashes_is_a_301_to_the_single_slash_url(url: str, location: str) -> None:
    assert resolve(RULES, url) == Redirect(location)
    assert merge_slashes(url) == location


def test_a_single_slash_url_is_left_alone() -> None:
    for url in ("/", "/debian/", "/debian/project/trace/debian", "http://h/debian/"):
        assert merge_slashes(url) is None, url
    assert isinstance(resolve(RULES, "/debian/project/trace/debian"), Target)


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("//.git/config", 404),
        ("/debian//pool/../../canary.txt", 404),
        ("//%2e%2e/etc/passwd", 404),
        ("//mediawiki%2f1.41/", 404),
        ("//a\\b", 404),
        ("//%00", 400),
        ("//%ff", 400),
        ("//a%zz", 400),
        ("/" * 5000, 414),
    ],
)
def test_a_path_refused_anyway_is_refused_not_redirected(url: str, status: int) -> None:
    """The Location echoes the path: only one that passes every check of the path itself
    gets one (what a mount refuses, `InRelease.new`, is refused after the hop)."""
    found = resolve(RULES, url)
    assert isinstance(found, Miss) and found.status == status, found


@settings(max_examples=3000, deadline=None)
@given(st.lists(SEGMENT, min_size=1, max_size=8), st.booleans())
def test_a_run_of_slashes_never_names_anything_but_its_single_slash_url(
    segments: list[str], trailing: bool
) -> None:
    path = "/" + "/".join(segments) + ("/" if trailing else "")
    found = resolve(RULES, path)
    if "//" not in path:
        assert not (isinstance(found, Redirect) and "//" in found.location), (path, found)
        return
    assert not isinstance(found, Target), (path, found)
    if isinstance(found, Redirect):
        assert found.location == re.sub("/+", "/", path), (path, found)
        assert found.location.startswith("/") and not found.location.startswith("//"), found
        single = resolve(RULES, found.location)  # one hop: the single-slash URL answers
        assert not isinstance(single, Redirect) or "//" not in single.location, single


# ------------------------------------------------------------------ snapshots as on disk

LIVE_OFF = Rules(
    [dataclasses.replace(m, live=False) for m in RULES.mounts], RULES.output, RULES.archives
)
FILES = [
    "InRelease", "Release", "Release.gpg", "main/binary-amd64/Packages.gz",
    "main/binary-amd64/Release", "main/source/Sources", "main/binary-amd64/by-hash/SHA256/ab12",
]  # fmt: skip


@pytest.mark.parametrize("rules", [RULES, LIVE_OFF], ids=["live", "no-live-archive"])
@pytest.mark.parametrize("file", FILES)
@pytest.mark.parametrize(
    ("codename", "serial"),
    [("bookworm", "2026112101"), ("jessie", "2026112102"), ("jessie/updates", "2026112102")],
)
def test_a_snapshot_spelt_as_on_disk_answers_as_its_serial_url(
    rules: Rules, file: str, codename: str, serial: str
) -> None:
    """Same file, same class (signed metadata for the Release family, else immutable)."""
    on_disk = resolve(rules, f"/debian/dists/{codename}/snapshots/{serial}/{file}")
    served = resolve(rules, f"/debian/{serial}/dists/{codename}/{file}")
    assert isinstance(served, Target)
    assert on_disk == served
    relpath = f"dists/{codename}/snapshots/{serial}/{file}"
    assert [(s.base, s.relpath, s.confined) for s in on_disk.sources] == [
        ("/srv/snap", relpath, True)
    ]


@pytest.mark.parametrize("rules", [RULES, LIVE_OFF], ids=["live", "no-live-archive"])
@pytest.mark.parametrize(
    ("url", "location"),
    [
        ("/debian/dists/bookworm/snapshots/2026112101/", "/debian/2026112101/dists/bookworm/"),
        ("/debian/dists/jessie/updates/snapshots/2026112102/main/binary-amd64/",
         "/debian/2026112102/dists/jessie/updates/main/binary-amd64/"),
    ],
)  # fmt: skip
def test_a_snapshot_directory_spelt_as_on_disk_redirects_to_its_page(
    rules: Rules, url: str, location: str
) -> None:
    assert resolve(rules, url) == Redirect(location)


@pytest.mark.parametrize("rules", [RULES, LIVE_OFF], ids=["live", "no-live-archive"])
@pytest.mark.parametrize(
    ("url", "reason", "serial", "codename"),
    [
        ("/debian/dists/jessie/updates/snapshots/2026112101/InRelease",
         MissReason.UNKNOWN_SERIAL, "2026112101", "jessie/updates"),
        ("/debian/dists/bookworm/snapshots/2026112199/", MissReason.UNKNOWN_SERIAL,
         "2026112199", ""),  # as /debian/2026112199/dists/bookworm/: looked for in every codename
        ("/debian/dists/sid/snapshots/2026112101/InRelease", MissReason.UNKNOWN_CODENAME, "", ""),
        ("/debian/dists/bookworm/snapshots/2026112101", MissReason.NOT_FOUND, "", ""),
        ("/debian/dists/bookworm/snapshots/", MissReason.NOT_FOUND, "", ""),
        ("/debian/dists/bookworm/snapshots/2026112101/InRelease.new",
         MissReason.FORBIDDEN_NAME, "", ""),
    ],
)  # fmt: skip
def test_what_is_not_a_known_snapshot_is_a_miss_that_says_so(
    rules: Rules, url: str, reason: MissReason, serial: str, codename: str
) -> None:
    """An unknown serial names itself and its codename (the server looks on disk for exactly
    that snapshot); an unknown codename makes the server re-read the codenames."""
    found = resolve(rules, url)
    assert isinstance(found, Miss) and found.reason is reason, found
    assert (found.serial, found.codename) == (serial, codename)
    assert found.may_be_stale is (
        reason in (MissReason.UNKNOWN_SERIAL, MissReason.UNKNOWN_CODENAME)
    )


def test_without_the_live_archive_only_snapshots_are_served_under_dists() -> None:
    for url in ("/debian/dists/bookworm/InRelease", "/debian/dists/", "/debian/dists/bookworm/"):
        found = resolve(LIVE_OFF, url)
        assert isinstance(found, Miss) and found.status == 404, (url, found)
    assert isinstance(resolve(RULES, "/debian/dists/bookworm/InRelease"), Target)
