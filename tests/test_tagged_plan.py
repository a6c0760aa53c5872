"""The pure decisions of `tagged create`: the manifest read, what goes where, the filters."""

from __future__ import annotations

import pytest

from snapfront.tagged.conf import conf_files
from snapfront.tagged.indexes import SuiteIndex
from snapfront.tagged.manifest import Binary, Source, parse
from snapfront.tagged.plan import decide

pytestmark = pytest.mark.pure

TEXT = """\
origin_references:
  debian: {reference: '2025051802'}
  debian-security: {reference: '2025051902'}
  torproject: {reference: '2025033102'}
packages:
  binary:
  - {arch: amd64, package: acl, version: 2.3.1-3}
  - {arch: all, package: adduser, version: 3.134}
  - {arch: all, package: adduser, version: 3.134}
  - {arch: i386, package: acl, version: 2.3.1-3}
  source:
  - {package: acl, version: 2.3.1-3}
"""


def _suite(codename: str, binaries: dict, sources: dict) -> SuiteIndex:
    suite = SuiteIndex(codename, ("amd64", "i386"), ("main",), None)
    suite.binaries = {k: set(v) for k, v in binaries.items()}
    suite.sources = {k: set(v) for k, v in sources.items()}
    return suite


def test_the_manifest_keeps_versions_as_written():
    manifest = parse(TEXT)
    assert manifest.origins["debian"] == "2025051802"
    assert Binary("adduser", "3.134", "all") in manifest.binaries  # not the float 3.134
    assert len(manifest.binaries) == 3 and manifest.sources == (Source("acl", "2.3.1-3"),)
    with pytest.raises(ValueError, match="reference"):
        parse(TEXT.replace("'2025051802'", "latest"))


def test_an_entry_in_two_origins_goes_into_both_and_an_empty_origin_is_named():
    manifest = parse(TEXT)
    acl, adduser = Binary("acl", "2.3.1-3", "amd64"), Binary("adduser", "3.134", "all")
    acl386 = Binary("acl", "2.3.1-3", "i386")
    found = {
        "debian": [_suite("bookworm", {("main", "amd64"): {acl, adduser}, ("main", "i386"): {acl386, adduser}},
                          {"main": {Source("acl", "2.3.1-3")}})],
        "debian-security": [_suite("bookworm-security", {("main", "amd64"): {adduser}}, {})],
        "torproject": [_suite("bookworm", {}, {})],
    }  # fmt: skip
    plan = decide(manifest, found)
    by_origin = {p.origin: p for p in plan.origins}
    assert (
        adduser in by_origin["debian"].entries and adduser in by_origin["debian-security"].entries
    )
    assert plan.empty == ("torproject",) and plan.missing == ()
    assert by_origin["debian"].suites[0].describe() == "bookworm main [amd64 i386 source]"


def test_filters_are_exact_and_a_second_version_gets_a_second_list():
    manifest = parse(TEXT + "  - {package: acl, version: 2.3.1-4}\n")
    sources = {Source("acl", "2.3.1-3"), Source("acl", "2.3.1-4")}
    plan = decide(manifest, {"debian": [_suite("bookworm/updates", {}, {"main": sources})]})
    (origin,) = plan.origins
    files = conf_files(
        origin, "/srv/debian", {"bookworm/updates": "FPR"}, {"bookworm/updates": "blindtrust"}, {}
    )
    assert files["conf/filters/s0-source-0"] == "acl = 2.3.1-3\n"
    assert files["conf/filters/s0-source-1"] == "acl = 2.3.1-4\n"
    assert "Suite: bookworm/updates/snapshots/2025051802\n" in files["conf/updates"]
    assert "FilterSrcList: purge filters/s0-source-0 filters/s0-source-1\n" in files["conf/updates"]
    assert "ValidFor" not in files["conf/distributions"]
    assert "SignWith: FPR\n" in files["conf/distributions"]
