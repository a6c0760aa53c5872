"""serials' pure parts: the serial file format, the directory scan, what freeze/thaw/resolve
decide, and the parsers of a trace and of snapfront's unknown-serial 404. No network."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from snapfront.base.errors import Failed, Refused
from snapfront.serials import confirm, files, plan
from snapfront.serials.confirm import Kind, listed_codenames, listed_serials, release_url
from snapfront.serials.remote import archive_serial, check_base, trace_url

pytestmark = pytest.mark.pure


def origins(tmp_path: Path, **contents: str | None) -> Path:
    """DIR/ORIGIN/serial for each keyword (`_` spells `-`); None: the directory alone."""
    for name, text in contents.items():
        folder = tmp_path / name.replace("_", "-")
        folder.mkdir()
        if text is not None:
            (folder / "serial").write_text(text)
    return tmp_path


@pytest.mark.parametrize(
    ("text", "value"),
    [("latest\n", "latest"), ("2026112101\n", "2026112101"), ("  2026112101  \n", "2026112101"),
     ("latest", "latest")],
)  # fmt: skip
def test_parse_accepts_a_serial_or_latest(text: str, value: str) -> None:
    assert files.parse(text, "x") == value


@pytest.mark.parametrize("text", ["", "\n", "Latest\n", "202611210\n", "2026112101\nlatest\n",
                                  "20261121T120000Z\n", "2026112101 # frozen\n"])  # fmt: skip
def test_parse_refuses_anything_else_naming_the_file(text: str) -> None:
    with pytest.raises(Refused, match=r"^DIR/debian/serial: not a serial \(YYYYMMDDNN\) or latest"):
        files.parse(text, "DIR/debian/serial")


def test_format_is_one_line_with_a_newline_as_tails_writes_it() -> None:
    assert files.format_value("latest") == b"latest\n"
    assert files.format_value("2026112101") == b"2026112101\n"
    with pytest.raises(ValueError):
        files.format_value("../x")


def test_scan_lists_origin_directories_and_their_text(tmp_path: Path) -> None:
    origins(tmp_path, debian="2026112101\n", debian_security="latest\n", torproject=None)
    (tmp_path / ".git").mkdir()  # hidden: not an origin
    (tmp_path / "README").write_text("a file, not an origin\n")
    assert files.scan(str(tmp_path)) == {
        "debian": "2026112101\n",
        "debian-security": "latest\n",
        "torproject": None,
    }


def test_scan_refuses_a_missing_an_empty_and_a_non_directory(tmp_path: Path) -> None:
    with pytest.raises(Refused, match=r"nope: no such directory$"):
        files.scan(str(tmp_path / "nope"))
    with pytest.raises(Refused, match=r": no origin directories \(expected ORIGIN/serial, e\.g\."):
        files.scan(str(tmp_path))
    (tmp_path / "file").write_text("")
    with pytest.raises(Refused, match=r"file: not a directory$"):
        files.scan(str(tmp_path / "file"))


def test_write_is_atomic_per_file_and_leaves_unchanged_files_alone(tmp_path: Path) -> None:
    origins(tmp_path, debian="latest\n", torproject=None)
    before = (tmp_path / "debian" / "serial").stat().st_mtime_ns
    changed = files.write(str(tmp_path), {"debian": "latest", "torproject": "2026112101"})
    assert changed == ["torproject"]
    assert (tmp_path / "torproject" / "serial").read_bytes() == b"2026112101\n"
    assert (tmp_path / "debian" / "serial").stat().st_mtime_ns == before
    assert sorted(p.name for p in (tmp_path / "torproject").iterdir()) == ["serial"]  # no temp


def test_freeze_takes_the_traces_serials_except_the_exceptions() -> None:
    current = {"debian": "latest\n", "debian-security": "2026010101\n", "torproject": None}
    assert plan.freeze_origins(current, {"debian-security"}) == ["debian", "torproject"]
    newest = {"debian": "2026112102", "torproject": "2026112001"}
    assert plan.freeze(current, newest, {"debian-security"}) == {
        "debian": "2026112102",
        "debian-security": "latest",  # an exception is set to latest, whatever it held
        "torproject": "2026112001",
    }


def test_an_unknown_exception_is_refused_as_a_typo() -> None:
    with pytest.raises(
        Refused, match=r"^--except: no origin directory debain \(origins: debian\)$"
    ):
        plan.check_except({"debian": None}, ["debain"])


def test_thaw_writes_latest_everywhere() -> None:
    assert plan.thaw({"debian": "2026112101\n", "x": None}) == {"debian": "latest", "x": "latest"}


def test_resolve_looks_up_latest_once_and_checks_the_frozen() -> None:
    frozen = plan.values({"debian": "2026112101\n", "debian-security": "latest\n"}, "DIR/")
    assert plan.to_check(frozen) == {"debian": "2026112101"}
    assert plan.to_resolve(frozen) == ["debian-security"]
    resolved = plan.resolve(frozen, {"debian-security": "2026112203"})
    assert plan.as_lines(resolved) == "debian: 2026112101\ndebian-security: 2026112203\n"
    assert json.loads(plan.as_json(resolved)) == {
        "debian": "2026112101",
        "debian-security": "2026112203",
    }


def test_resolve_refuses_a_missing_or_malformed_file() -> None:
    with pytest.raises(Refused, match=r"^DIR/tor/serial: no such file"):
        plan.values({"debian": "latest\n", "tor": None}, "DIR")
    with pytest.raises(Refused, match=r"^DIR/debian/serial: not a serial"):
        plan.values({"debian": "yesterday\n"}, "DIR")


TRACE = """Sat Nov 21 12:00:00 UTC 2026
Date: Sat, 21 Nov 2026 12:00:00 +0000
Date-Started: Sat, 21 Nov 2026 12:00:00 +0000
Archive serial: 2026112102
Creator: snapfront 0.1.0
"""


def test_archive_serial_of_a_trace() -> None:
    assert archive_serial(TRACE, "U") == "2026112102"
    with pytest.raises(Failed, match=r"^U: no 'Archive serial:' line"):
        archive_serial("<html>not a trace</html>\n", "U")
    with pytest.raises(Failed, match=r"^U: 'Archive serial: soon' is not a serial$"):
        archive_serial("Archive serial: soon\n", "U")


def test_listed_serials_of_snapfronts_404() -> None:
    body = "snapshot 2000010101 does not exist; snapshots that do:\n2026112101\n2026112102\n"
    assert listed_serials(body) == ["2026112101", "2026112102"]
    none = "snapshot 2000010101 does not exist for bookworm; snapshots that do:\n(none)\n"
    assert listed_serials(none) == []
    assert listed_serials("not found\n") is None


def test_urls_and_the_base_url() -> None:
    base = check_base("http://snap.example/")
    assert trace_url(base, "debian-security") == (
        "http://snap.example/debian-security/project/trace/debian-security"
    )
    assert release_url(check_base("https://h/prefix"), "debian", "2026112101", "stable") == (
        "https://h/prefix/debian/2026112101/dists/stable/Release"
    )
    assert release_url("http://h", "debian-security", "2026112101", "buster/updates") == (
        "http://h/debian-security/2026112101/dists/buster/updates/Release"
    )
    for bad in ("snap.example", "ftp://h/", "http:///x", "http://h/?q=1"):
        with pytest.raises(Refused, match=r"^--from: "):
            check_base(bad)


def test_listed_codenames_of_snapfronts_404() -> None:
    body = "unknown codename stable; codenames that exist:\nbookworm\njessie/updates\n"
    assert listed_codenames(body) == ["bookworm", "jessie/updates"]
    assert listed_codenames("unknown codename x; codenames that exist:\n(none)\n") == []
    assert listed_codenames("snapshot 1 does not exist; snapshots that do:\n") is None


@pytest.mark.parametrize(
    ("status", "body", "judged"),
    [(200, "Origin: x\n", confirm.Judged(Kind.FOUND)),
     (404, "Not Found\n", confirm.Judged(Kind.MISSING)),
     (404, "snapshot 2 does not exist for stable; snapshots that do:\n2026112101\n",
      confirm.Judged(Kind.NO_SERIAL, ("2026112101",))),
     (404, "unknown codename stable; codenames that exist:\nbuster\n",
      confirm.Judged(Kind.NO_CODENAME, ("buster",))),
     (403, "Forbidden\n", confirm.Judged(Kind.FAILED)),
     (503, "busy\n", confirm.Judged(Kind.FAILED))],
)  # fmt: skip
def test_judge_a_releases_answer(status: int, body: str, judged: confirm.Judged) -> None:
    assert confirm.judge(status, body) == judged


def test_the_codename_of_each_origin() -> None:
    origins = {"debian", "debian-security", "torproject"}
    none = confirm.parse_codenames([], origins)
    assert none.of("debian") == ("stable", False)  # Tails' expiry script's default
    named = confirm.parse_codenames(["bookworm", "debian-security=bookworm/updates"], origins)
    assert named.of("debian") == ("bookworm", True)
    assert named.of("debian-security") == ("bookworm/updates", True)
    only = confirm.parse_codenames(["torproject=bookworm"], origins)
    assert (only.of("torproject"), only.of("debian")) == (("bookworm", True), ("stable", False))


@pytest.mark.parametrize(
    ("values", "message"),
    [(["debain=bookworm"], "no origin directory debain (origins: debian, tor)"),
     (["=bookworm"], "not CODENAME or ORIGIN=CODENAME: =bookworm"),
     (["debian="], "not CODENAME or ORIGIN=CODENAME: debian="),
     (["../etc"], "not CODENAME or ORIGIN=CODENAME: ../etc"),
     (["a//b"], "not CODENAME or ORIGIN=CODENAME: a//b"),
     (["bookworm?x"], "not CODENAME or ORIGIN=CODENAME: bookworm?x"),
     (["debian=a", "debian=b"], "two codenames for debian"),
     (["a", "b"], "two codenames for every origin")],
)  # fmt: skip
def test_bad_codenames_are_refused(values: list[str], message: str) -> None:
    with pytest.raises(Refused, match=rf"^--codename: {re.escape(message)}"):
        confirm.parse_codenames(values, {"debian", "tor"})
