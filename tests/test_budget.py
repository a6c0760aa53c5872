"""Who makes room when a worker's max_connections runs low (server.budget), without sockets:
the oldest waiting connection goes first, one being answered never, a newcomer is refused only
when every open connection is being answered. tests/test_connections.py floods a live server."""

from __future__ import annotations

import logging

import pytest

from snapfront.server.budget import Budget, Report, low_water, plan

pytestmark = pytest.mark.pure


class Conn:
    def __init__(self, name: str, gone: list[str]) -> None:
        self.name = name
        self.gone = gone

    def evict(self) -> None:
        self.gone.append(self.name)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("open_now", "limit", "waiting", "expected"),
    [
        (0, 600, 0, (0, True)),
        (538, 600, 538, (0, True)),  # the 540th: still below the reserve
        (539, 600, 539, (0, True)),
        (540, 600, 540, (1, True)),  # in the last 10 %: one waiting connection makes room
        (540, 600, 0, (0, True)),  # nobody waiting: the reserve is used up first
        (599, 600, 0, (0, True)),
        (600, 600, 0, (0, False)),  # all being answered: refused
        (600, 600, 1, (1, True)),
        (600, 600, 300, (2, True)),  # never more than two per accept: the count drains back
        (4, 4, 0, (0, False)),
        (0, 1, 0, (0, True)),
        (1, 1, 1, (1, True)),
        (1, 1, 0, (0, False)),
    ],
)
def test_plan(open_now: int, limit: int, waiting: int, expected: tuple[int, bool]) -> None:
    assert plan(open_now, limit, waiting) == expected


def test_low_water_keeps_a_tenth_free() -> None:
    assert [low_water(n) for n in (1, 4, 10, 600, 4096)] == [0, 3, 9, 540, 3687]


def test_the_connection_waiting_longest_goes_first_and_one_being_answered_never() -> None:
    gone: list[str] = []
    clock = Clock()
    budget = Budget(clock)
    conns = {name: Conn(name, gone) for name in "abcdefghij"}
    for name in "abcdefgh":  # a..h accepted a second apart; 10 is the limit, 9 the low water
        clock.now += 1
        assert budget.admit(conns[name], 10)
    budget.serving(conns["a"])  # a completed its head: being answered
    budget.serving(conns["c"])
    budget.waiting(conns["c"])  # c answered, kept alive: it waits again, from now
    clock.now += 1
    assert budget.admit(conns["i"], 10) and gone == []  # the 9th: below the reserve
    clock.now += 1
    assert budget.admit(conns["j"], 10) and gone == ["b"]  # b waited longest; a is busy
    assert (budget.open, budget.evicted, budget.shortest_wait) == (9, 1, 8.0)
    for expected in "defghcij":
        assert budget.admit(Conn("new", gone), 10)
        assert gone[-1] == expected
    budget.closed(conns["a"])  # a's client went: counted out, nothing closed for it
    assert budget.open == 8 and gone[-1] == "j"


def test_a_newcomer_is_refused_only_when_every_connection_is_being_answered() -> None:
    gone: list[str] = []
    budget = Budget(Clock())
    busy = [Conn(str(n), gone) for n in range(4)]
    for conn in busy:
        assert budget.admit(conn, 4)
        budget.serving(conn)
    assert not budget.admit(Conn("refused", gone), 4)
    assert (budget.open, budget.refused, gone) == (4, 1, [])
    budget.waiting(busy[2])  # answered and kept alive: now it may make room
    assert budget.admit(Conn("new", gone), 4)
    assert gone == ["2"] and budget.open == 4


def test_the_report_is_one_line_then_a_sum_at_most_every_ten_seconds(
    caplog: pytest.LogCaptureFixture,
) -> None:
    timers: list[object] = []
    budget = Budget(Clock())
    Report(budget, lambda _delay, fire: timers.append(fire))
    gone: list[str] = []
    with caplog.at_level(logging.WARNING, "snapfront"):
        for n in range(1000):  # a flood: each accept past the low water closes one
            budget.admit(Conn(str(n), gone), 100)
        assert len(gone) == 910 and len(caplog.records) == 1 and len(timers) == 1
        assert "closed 1 connection(s)" in caplog.records[0].getMessage()
        timers.pop()()  # ten seconds later: the rest, summed up
        assert len(caplog.records) == 2 and "closed 909 connection(s)" in caplog.text
        timers.pop()()  # quiet since: no line, no timer
        assert len(caplog.records) == 2 and timers == []
