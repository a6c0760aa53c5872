"""The lifecycle's pure decisions, without subprocesses: the next serial, what gc removes,
and the rows `snapshot list` prints."""

from __future__ import annotations

import datetime as dt

import pytest

from snapfront.base.errors import Refused
from snapfront.lifecycle.expiry import Policy, SnapshotFacts, plan, removable
from snapfront.lifecycle.listing import summarize
from snapfront.lifecycle.serials import check_serial, next_serial, refuse_existing

pytestmark = pytest.mark.pure


TODAY = dt.date(2026, 11, 22)
NOW = 1_800_000_000.0
HOUR, DAY = 3600, 86400


def test_first_serial_of_the_day_is_01() -> None:
    assert next_serial(TODAY, []) == "2026112201"
    assert next_serial(TODAY, ["2026112104", "2026112199"]) == "2026112201"


def test_next_serial_follows_the_highest_of_today_and_never_refills_a_gap() -> None:
    assert next_serial(TODAY, ["2026112201", "2026112202"]) == "2026112203"
    # 02 was garbage-collected: its index files may still be cached as immutable, and a
    # refilled 02 would sort before 03, so the trace would not name the new snapshot
    assert next_serial(TODAY, ["2026112201", "2026112203"]) == "2026112204"


def test_counter_99_used_up_is_refused() -> None:
    with pytest.raises(Refused, match="all 99 serials of 20261122 are used"):
        next_serial(TODAY, ["2026112299"])


def test_a_serial_dated_after_today_is_refused() -> None:
    with pytest.raises(Refused, match="2026112301 is dated after today"):
        next_serial(TODAY, ["2026112301"])


@pytest.mark.parametrize("bad", ["202611220", "20261122001", "2026113201", "2026112200", "x"])
def test_malformed_serials_are_refused(bad: str) -> None:
    with pytest.raises(Refused):
        check_serial(bad)
    assert check_serial("2026112201") == "2026112201"


def test_an_existing_serial_is_refused_naming_the_codenames() -> None:
    existing = {"bookworm": {"2026112201"}, "jessie/updates": {"2026112201", "2026112202"}}
    with pytest.raises(Refused, match=r"2026112202 already exists for jessie/updates\Z"):
        refuse_existing("2026112202", existing)
    refuse_existing("2026112203", existing)


def facts(codename: str, serial: str, valid_until: float | None, date: float | None = 0):
    until = None if valid_until is None else int(valid_until)
    return SnapshotFacts(codename, serial, None if date is None else int(date), until)


def test_expired_longer_than_the_grace_goes_within_it_stays() -> None:
    policy = Policy(keep=0, grace=24 * HOUR)
    assert removable(facts("b", "2026010101", NOW - 25 * HOUR), NOW, policy)
    assert not removable(facts("b", "2026010101", NOW - 23 * HOUR), NOW, policy)
    assert not removable(facts("b", "2026010101", NOW + DAY), NOW, policy)


def test_without_valid_until_only_max_age_removes() -> None:
    old = facts("b", "2026010101", None, date=NOW - 100 * DAY)
    assert not removable(old, NOW, Policy(keep=0))
    assert removable(old, NOW, Policy(keep=0, max_age=30 * DAY))
    assert not removable(old, NOW, Policy(keep=0, max_age=200 * DAY))
    unreadable = SnapshotFacts("b", "2026010101", None, None, readable=False)
    assert not removable(unreadable, NOW, Policy(keep=0, max_age=1))


def test_plan_keeps_the_traced_and_the_newest_and_decides_per_codename() -> None:
    past = NOW - 10 * DAY
    snapshots = [
        facts("bookworm", "2026010101", past),
        facts("jessie", "2026010101", past),
        facts("bookworm", "2026010102", past),
        facts("jessie", "2026010102", NOW + DAY),  # bumped for jessie only
        facts("bookworm", "2026010103", past),  # the traced one: kept though expired
        facts("bookworm", "2026010104", past),  # the newest: kept (--keep 1)
    ]
    decided = plan(snapshots, NOW, Policy(keep=1), traced="2026010103")
    assert decided.remove == (
        ("bookworm", "2026010101"),
        ("jessie", "2026010101"),
        ("bookworm", "2026010102"),
    )
    assert decided.serials_gone == ("2026010101",)
    assert decided.kept == ("2026010102", "2026010103", "2026010104")
    assert decided.referees() == {
        "s=bookworm=2026010101", "s=jessie=2026010101", "s=bookworm=2026010102",
    }  # fmt: skip
    assert plan(snapshots, NOW, Policy(keep=4), traced=None).remove == ()
    everything = plan(snapshots, NOW, Policy(keep=0), traced=None)
    assert "2026010104" in everything.serials_gone


def test_list_rows_take_the_earliest_valid_until_and_mark_the_trace() -> None:
    snapshots = [
        facts("bookworm", "2026010101", NOW - HOUR, date=NOW - 5 * DAY),
        facts("jessie", "2026010101", NOW + 3 * DAY, date=NOW - 4 * DAY),
        facts("bookworm", "2026010102", NOW + 2.5 * DAY, date=NOW - DAY),
        SnapshotFacts("jessie", "2026010102", None, None, readable=False),
    ]
    old, new = summarize(snapshots, "2026010102", {"2026010101"}, NOW)
    assert (old.valid_until, old.expired, old.date, old.trace) == (
        int(NOW - HOUR), True, int(NOW - 5 * DAY), False,
    )  # fmt: skip
    assert old.codenames == ("bookworm", "jessie")
    assert (new.days_left, new.expired, new.trace, new.readable) == (2, False, True, False)
    assert (old.complete, new.complete) == (True, False)
