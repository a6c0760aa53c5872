"""Which serials count as taken (rewrite_rules.complete), without a disk or a subprocess: the
codenames' serials as given, completeness as a set of (codename, serial)."""

from __future__ import annotations

import pytest

from snapfront.rewrite_rules.complete import complete_serials

pytestmark = pytest.mark.pure


S1, S2, S3, S4 = "2026112101", "2026112102", "2026112103", "2026112104"


def taken(serials: dict[str, set[str]], done: set[tuple[str, str]] | None = None) -> list[str]:
    """Newest first; every snapshot on disk is complete unless `done` says which are."""
    if done is None:
        done = {(c, s) for c, found in serials.items() for s in found}
    return list(complete_serials(serials, lambda c, s: (c, s) in done))


def test_a_serial_one_codename_of_two_has_is_not_taken_until_the_other_has_it() -> None:
    partial = {"bookworm": {S1, S2}, "trixie": {S1}}
    assert taken(partial) == [S1]
    assert taken({"bookworm": {S1, S2}, "trixie": {S1, S2}}) == [S2, S1]


def test_a_snapshot_being_written_or_unverified_is_not_complete() -> None:
    both = {"bookworm": {S1, S2}, "trixie": {S1, S2}}
    unsigned = {("bookworm", S1), ("trixie", S1), ("bookworm", S2)}
    assert taken(both, unsigned) == [S1]


def test_a_codename_without_snapshots_blocks_nothing() -> None:
    assert taken({"bookworm": {S1, S2}, "trixie": set()}) == [S2, S1]


def test_a_codename_added_later_leaves_older_serials_taken() -> None:
    added = {"bookworm": {S1, S2, S3}, "trixie": {S3}}
    assert taken(added) == [S3, S2, S1]
    first_take = {"bookworm": {S1, S2, S3}, "trixie": {S3, S4}}  # trixie's S4 came first
    assert taken(first_take) == [S3, S2, S1]


def test_a_new_codename_counts_from_its_first_snapshot() -> None:
    # trixie's first snapshot, S2, is still being written: S2 waits for it, S1 does not
    done = {("bookworm", S1), ("bookworm", S2)}
    assert taken({"bookworm": {S1, S2}, "trixie": {S2}}, done) == [S1]


def test_an_abandoned_partial_serial_is_never_taken() -> None:
    gap = {"bookworm": {S1, S2, S3}, "trixie": {S1, S3}}
    assert taken(gap) == [S3, S1]


def test_the_newest_asks_only_about_serials_down_to_it() -> None:
    asked: list[tuple[str, str]] = []

    def complete(codename: str, serial: str) -> bool:
        asked.append((codename, serial))
        return True

    serials = {"bookworm": {S1, S2, S3, S4}, "trixie": {S1, S2, S3}}
    assert next(complete_serials(serials, complete)) == S3  # S4 lacks trixie: no stat for it
    assert asked == [("bookworm", S3), ("trixie", S3)]


def test_nothing_on_disk_is_nothing_taken() -> None:
    assert taken({}) == []
    assert taken({"bookworm": set()}) == []
