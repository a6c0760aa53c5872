"""A missing snapshot's proof of absence (basedir.absent) fails the moment anything could
appear at its path, however it appears; and there is no proof where one stat could miss it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from snapfront.basedir.absent import absence, serial_absent

pytestmark = pytest.mark.pure

LONG_AGO = 1_700_000_000  # a directory last changed well before the proof is taken


def _tree(tmp_path: Path) -> Path:
    """An archive root: dists/bookworm/snapshots/ holding serial 1, and dists/trixie/ without
    any snapshot yet; every directory last changed long ago."""
    root = tmp_path / "debian"
    (root / "dists/bookworm/snapshots/2026010101").mkdir(parents=True)
    (root / "dists/bookworm/snapshots/2026010101/InRelease").write_text("signed\n")
    (root / "dists/trixie").mkdir(parents=True)
    _age(root)
    return root


def _age(root: Path) -> None:
    for place in [root, *root.rglob("*")]:
        os.utime(place, (LONG_AGO, LONG_AGO), follow_symlinks=False)


def _mkdir(snaps: Path) -> None:
    (snaps / "2026020202").mkdir()


def _rename_into_place(snaps: Path) -> None:
    staged = snaps.parent / "staging"
    shutil.copytree(snaps / "2026010101", staged)
    staged.rename(snaps / "2026020202")


def _symlink(snaps: Path) -> None:
    (snaps / "2026020202").symlink_to("2026010101")


def _replace_directory(snaps: Path) -> None:
    shutil.copytree(snaps, snaps.with_name("snapshots.new"), symlinks=True)
    _age(snaps.with_name("snapshots.new"))
    shutil.rmtree(snaps)
    snaps.with_name("snapshots.new").rename(snaps)


def _another_serial(snaps: Path) -> None:
    (snaps / "2026030303").mkdir()


@pytest.mark.parametrize(
    "change", [_mkdir, _rename_into_place, _symlink, _replace_directory, _another_serial]
)
def test_a_proof_fails_once_its_directory_changes(
    tmp_path: Path, change: Callable[[Path], None]
) -> None:
    root = _tree(tmp_path)
    snaps = root / "dists/bookworm/snapshots"
    proof = absence(str(snaps / "2026020202"))
    assert proof is not None and proof.directory == str(snaps)
    assert proof.holds() and proof.holds()
    change(snaps)
    assert not proof.holds()


def test_a_missing_directory_on_the_way_is_watched_from_the_nearest_one_there(
    tmp_path: Path,
) -> None:
    """trixie has no snapshots/ yet: gensnapshot makes it, which changes dists/trixie."""
    root = _tree(tmp_path)
    proof = absence(str(root / "dists/trixie/snapshots/2026020202"))
    assert proof is not None and proof.directory == str(root / "dists/trixie")
    assert proof.holds()
    (root / "dists/trixie/snapshots").mkdir()
    assert not proof.holds()


def test_no_proof_where_something_is_there_or_may_resolve_later(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    snaps = root / "dists/bookworm/snapshots"
    assert absence(str(snaps / "2026010101")) is None  # there
    (snaps / "2026020202").symlink_to(tmp_path / "elsewhere")  # dangling: may resolve later
    (root / "dists/trixie/snapshots").symlink_to(tmp_path / "elsewhere")
    _age(root)
    assert absence(str(snaps / "2026020202")) is None
    assert absence(str(root / "dists/trixie/snapshots/2026020202")) is None
    (root / "dists/sid").write_text("a file where a directory would be\n")
    _age(root)
    assert absence(str(root / "dists/sid/snapshots/2026020202")) is None


def test_no_proof_from_a_directory_changed_just_now(tmp_path: Path) -> None:
    """A change within the same timestamp tick could leave its mtime as it was."""
    root = _tree(tmp_path)
    snaps = root / "dists/bookworm/snapshots"
    (snaps / "2026030303").mkdir()
    assert absence(str(snaps / "2026020202")) is None
    _age(root)
    assert absence(str(snaps / "2026020202")) is not None


def test_a_serial_is_proven_absent_for_every_codename_or_none(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    proofs = serial_absent(str(root), ("bookworm", "trixie"), "2026020202")
    assert proofs is not None and len(proofs) == 2
    assert all(proof.holds() for proof in proofs)
    assert serial_absent(str(root), ("bookworm", "trixie"), "2026010101") is None
    (root / "dists/trixie/snapshots/2026020202").mkdir(parents=True)
    assert [proof.holds() for proof in proofs] == [True, False]
