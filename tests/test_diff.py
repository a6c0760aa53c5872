"""Issue 12, what changed: the changes page, its JSON, `snapfront diff` and `snapfront
history` agree with one table, on archives built with real reprepro and gpg; the index cache
parses each index content once."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from snapfront import sample
from snapfront.basedir.inventory import read_archive
from snapfront.diffs.cache import IndexCache
from snapfront.diffs.changes import compare_serials
from snapfront.rewrite_rules import Mount, MountKind

from .diff_support import S1, S2, S3, DiffHost, build

pytestmark = pytest.mark.live


# S1 -> S2, bookworm main: (kind, package, old, new)
AMD64 = [
    ("added", "new", None, "0.1-1"),
    ("removed", "gone", "1.0-1", None),
    ("upgraded", "epochal", "2.0-1", "1:1.0-1"),  # the epoch wins over 2.0
    ("upgraded", "tilde", "1.0~rc1-1", "1.0-1"),  # ~ sorts before the release
    ("upgraded", "up", "1.0-1", "1.1-1"),
    ("downgraded", "down", "2.0-1", "1.5-1"),
]
SOURCE = [("upgraded", "up", "1.0-1", "1.1-1")]
TABLE = {("bookworm", "main", "amd64"): AMD64, ("bookworm", "main", "source"): SOURCE}
HISTORY = {"down": {S1: "2.0-1", S2: "1.5-1", S3: "1.5-1"}, "new": {S2: "0.1-1", S3: "0.1-1"}}


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> DiffHost:
    sample.require_tools()
    return build(tmp_path_factory.mktemp("diff") / "host")


def cli(host: DiffHost, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "snapfront.cli", args[0], "--config", str(host.config), *args[1:]]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def rows(document: dict) -> dict[tuple[str, str, str], list[tuple]]:
    """diffs.changes.to_json → the TABLE's shape (scopes without changes left out)."""
    found = {}
    for scope in document["scopes"]:
        listed = [("added", c["package"], None, c["version"]) for c in scope["added"]]
        listed += [("removed", c["package"], c["version"], None) for c in scope["removed"]]
        for kind in ("upgraded", "downgraded"):
            listed += [(kind, c["package"], c["old"], c["new"]) for c in scope[kind]]
        if listed:
            found[(scope["codename"], scope["component"], scope["architecture"])] = listed
    return found


def test_changes_page_and_json_agree_with_the_table(host: DiffHost) -> None:
    built = cli(host, "build")
    assert built.returncode == 0, built.stderr
    page = host.output / "debian" / S2 / "changes"
    document = json.loads((page / "index.json").read_text())
    assert document["changes"]["old"] == S1 and document["changes"]["new"] == S2
    assert rows(document["changes"]) == TABLE
    assert document["previous"] == {"label": S1, "href": f"../../{S1}/changes/"}
    html = (page / "index.html").read_text()
    for kind, package, old, new in AMD64:
        cells = f"<td>{package}</td><td>{kind}</td><td>{old or ''}</td><td>{new or ''}</td>"
        assert f'<tr class="{kind}">{cells}</tr>' in html
    assert 'href="../changes.json"' in html and f'href="../../{S1}/changes/"' in html
    first = json.loads((host.output / "debian" / S1 / "changes" / "index.json").read_text())
    assert first["changes"]["old"] is None and first["previous"] is None
    # S3 adds "late" (binary only): its Sources is S2's file, so only amd64 changed
    third = json.loads((host.output / "debian" / S3 / "changes" / "index.json").read_text())
    assert rows(third["changes"]) == {
        ("bookworm", "main", "amd64"): [("added", "late", None, "1.0-1")]
    }
    front = json.loads((host.output / "debian" / "index.json").read_text())
    counts = {s["serial"]: s["changes"] for s in front["serials"]}
    assert counts[S1] is None
    assert counts[S2] == {"added": 1, "removed": 1, "upgraded": 4, "downgraded": 1,
                          "href": f"{S2}/changes/"}  # fmt: skip
    front_html = (host.output / "debian" / "index.html").read_text()
    assert f'<a href="{S2}/changes/" class="downgrade"' in front_html
    assert "+1 \u22121 \u21914 \u21931" in front_html
    again = cli(host, "build")
    assert "files written: 0," in again.stdout, again.stdout  # an unchanged tree: nothing


def test_diff_json_and_text_agree_with_the_table(host: DiffHost) -> None:
    result = cli(host, "diff", "/debian/", S1, S2, "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["mount"] == "/debian/" and rows(document) == TABLE
    text = cli(host, "diff", "/debian/", S1, S2).stdout
    assert re.search(r"DOWNGRADED\s+down\s+2\.0-1 -> 1\.5-1", text), text
    assert "warning: 1 package would go backwards" in text
    assert cli(host, "diff", "/debian/", S1, S2, "--fail-on-downgrade").returncode == 1
    assert cli(host, "diff", "/debian/", S2, S3, "--fail-on-downgrade").returncode == 0
    backwards = json.loads(cli(host, "diff", "/debian/", S2, S1, "--json").stdout)
    assert [c["package"] for s in backwards["scopes"] for c in s["downgraded"]] == [
        "epochal", "tilde", "up", "up"]  # fmt: skip


def test_suite_diff_of_a_repository_flags_the_downgrade(host: DiffHost) -> None:
    result = cli(host, "diff", "/apt/", "stable", "devel", "--json", "--fail-on-downgrade")
    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    renamed = {("bookworm", c, a): v for (_, c, a), v in rows(document).items()}
    assert renamed == TABLE  # the same packages as S1 -> S2, shown under "devel"
    assert {s["codename"] for s in document["scopes"]} == {"devel"}


def test_history_agrees_with_the_table(host: DiffHost) -> None:
    for package, expected in HISTORY.items():
        result = cli(host, "history", "/debian/", package, "--json")
        assert result.returncode == 0, result.stderr
        found = {
            s["serial"]: {(v["architecture"], v["version"]) for v in s["versions"]}
            for s in json.loads(result.stdout)["serials"]
        }
        assert found == {s: ({("amd64", expected[s])} if s in expected else set())
                         for s in (S1, S2, S3)}  # fmt: skip
    text = cli(host, "history", "/debian/", "up").stdout
    assert re.search(rf"{S1}\s+bookworm\s+main\s+source\s+1\.0-1", text), text
    assert re.search(
        rf"{S1}\s+-\s+-\s+-\s+\(no new\)", cli(host, "history", "/debian/", "new").stdout
    )
    absent = cli(host, "history", "/debian/", "nosuch")
    assert absent.returncode == 1 and "nosuch is in no serial" in absent.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("diff", "/debian/", S1, "2026010199"), f"no serial 2026010199 (serials: {S1} {S2} {S3})"),
        (("diff", "/apt/", "stable", "sid"), "no suite sid (suites: devel stable)"),
        (("diff", "/nowhere/", S1, S2), "no mount at /nowhere/"),
        (("history", "/apt/", "up"), "/apt/ is a repository mount, not snapshots"),
    ],
)
def test_refusals_are_one_line_and_exit_2(host: DiffHost, args: tuple, message: str) -> None:
    result = cli(host, *args)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr


def test_cache_parses_each_index_content_once(host: DiffHost, tmp_path: Path) -> None:
    mount = Mount("/debian/", MountKind.SNAPSHOTS, str(host.snapshots), "debian")
    archive = read_archive(mount.root)
    cache = IndexCache(str(tmp_path))
    compare_serials(cache, mount, archive, S1, S2)
    assert cache.parsed == 4  # amd64 and source, both serials
    compare_serials(cache, mount, archive, S1, S2)
    assert cache.parsed == 4  # a second diff of the same serials parses nothing
    compare_serials(cache, mount, archive, S2, S3)
    assert cache.parsed == 5  # S3 shares Sources with S2: only its Packages is new
    fresh = IndexCache(str(tmp_path))  # another process: read back from output/.snapfront
    assert compare_serials(fresh, mount, archive, S1, S3).counts.added == 2
    assert fresh.parsed == 0 and fresh.loaded == 2  # S1's and S3's amd64 maps, from disk


def test_a_second_cli_diff_writes_and_parses_nothing(host: DiffHost) -> None:
    cache = host.output / ".snapfront" / "indexes"
    cli(host, "diff", "/debian/", S1, S3)
    before = {p.name: p.stat().st_mtime_ns for p in cache.iterdir()}
    assert cli(host, "diff", "/debian/", S1, S3).returncode == 0
    assert {p.name: p.stat().st_mtime_ns for p in cache.iterdir()} == before
