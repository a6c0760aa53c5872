"""lifecycle.replace: all temps written before the first rename; a failure half-way through
the renames puts back what was replaced; a failure while writing changes nothing."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from snapfront.base.errors import Failed, Refused
from snapfront.lifecycle import replace as module
from snapfront.lifecycle.replace import Replacement, replace_all

pytestmark = pytest.mark.pure


def files(tmp_path: Path) -> list[Path]:
    paths = [tmp_path / name for name in ("Release", "Release.gpg", "InRelease")]
    for path in paths:
        path.write_bytes(b"old " + path.name.encode())
        path.chmod(0o640)
    return paths


def test_every_temp_exists_before_the_first_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = files(tmp_path)
    seen: list[set[str]] = []
    real = os.replace

    def spy(src: str, dst: str) -> None:
        seen.append({p.name for p in tmp_path.iterdir() if p.name.startswith(".")})
        real(src, dst)

    monkeypatch.setattr(module.os, "replace", spy)
    done = replace_all([Replacement(str(p), b"new " + p.name.encode()) for p in paths])
    assert done == tuple(str(p) for p in paths)
    assert len(seen[0]) == 3  # all three temps written before the first rename
    assert [p.read_bytes() for p in paths] == [b"new " + p.name.encode() for p in paths]
    assert {oct(p.stat().st_mode & 0o777) for p in paths} == {"0o640"}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)


def test_a_failed_rename_puts_back_what_was_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = files(tmp_path)
    real, calls = os.replace, []

    def flaky(src: str, dst: str) -> None:
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(5, "Input/output error", dst)
        real(src, dst)

    monkeypatch.setattr(module.os, "replace", flaky)
    with pytest.raises(Failed, match="put back"):
        replace_all([Replacement(str(p), b"new") for p in paths])
    assert [p.read_bytes() for p in paths] == [b"old " + p.name.encode() for p in paths]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)


def test_a_failed_write_changes_nothing(tmp_path: Path) -> None:
    paths = files(tmp_path)
    gone = tmp_path / "gone" / "InRelease"
    with pytest.raises(Refused):
        replace_all([Replacement(str(paths[0]), b"new"), Replacement(str(gone), b"new")])
    assert paths[0].read_bytes() == b"old Release"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)


def test_new_files_get_a_later_second_than_the_ones_they_replace(tmp_path: Path) -> None:
    """Last-Modified has whole seconds; APT resumes with If-Range: DATE. A same-size file
    replaced within the second must not share the old one's Last-Modified."""
    paths = files(tmp_path)
    for path in paths:
        os.utime(path)  # written "just now", like a fresh gensnapshot
    old = max(p.stat().st_mtime_ns // 1_000_000_000 for p in paths)
    replace_all([Replacement(str(p), p.read_bytes()) for p in paths])
    assert all(p.stat().st_mtime_ns // 1_000_000_000 > old for p in paths)


def test_the_later_second_is_the_file_systems_not_time_time(tmp_path: Path) -> None:
    """The kernel stamps files with its coarse clock, up to a tick (1 to 10 ms) behind
    time.time(): a new file stamped just as a second begins by time.time() would carry the
    second before, the old file's Last-Modified (test_bump: APT kept the expired InRelease in
    lists/partial, resumed it with If-Range: that date, got a 416 and kept the expired bytes)."""
    target, temp = tmp_path / "InRelease", tmp_path / ".InRelease.new"
    for _ in range(3):
        _sleep_until_second(plus=0.5)
        target.write_bytes(b"old")  # the old file, in the middle of a second
        temp.write_bytes(b"new")
        old = target.stat().st_mtime_ns // 1_000_000_000
        _sleep_until_second(plus=0.0002)  # the next second has just begun, by time.time()
        module.newer_second([str(temp)], [str(target)])
        assert temp.stat().st_mtime_ns // 1_000_000_000 > old


def _sleep_until_second(plus: float) -> None:
    """Sleep until `plus` seconds into the next second of time.time()."""
    now = time.time()
    time.sleep(int(now) + 1 + plus - now)
