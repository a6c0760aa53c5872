"""Every test is of one kind, chosen with `-m`: pure (this process alone: no subprocess, no
network socket, so the whole kind runs in seconds), live (real programs and servers on
loopback), system (Debian roots, the package, browsers, CDNs, system users); `debroot`, the
system tests in Debian roots, is system. A module says its kind once (`pytestmark =
pytest.mark.live`); a test without exactly one kind stops the run before anything runs, and a
pure test that starts a process or opens a network socket fails: it is live.
tests/conftest.py imports the hooks; `-p tests.kinds` loads them alone."""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

KINDS = ("pure", "live", "system")
PROCESS_EVENTS = frozenset(
    {"subprocess.Popen", "os.fork", "os.forkpty", "os.posix_spawn", "os.spawn", "os.system",
     "os.exec"}
)  # fmt: skip
NETWORK_EVENTS = frozenset({"socket.bind", "socket.connect", "socket.sendto"})
NETWORK_FAMILIES = (socket.AF_INET, socket.AF_INET6)


class NotPure(Exception):
    """A pure test started a process or used the network."""


def kinds_of(marks: Iterable[str]) -> list[str]:
    """The kinds a test's marks name, `debroot` being system."""
    names = set(marks) | ({"system"} if "debroot" in marks else set())
    return [kind for kind in KINDS if kind in names]


def kind_problem(marks: Iterable[str]) -> str | None:
    """What is wrong with a test's marks, or None when they name exactly one kind."""
    marks = set(marks)
    kinds = kinds_of(marks)
    if not kinds:
        return "no kind"
    if len(kinds) > 1:
        return "more than one kind: " + ", ".join(kinds) + (" (debroot)" * ("debroot" in marks))
    return None


def impurity(event: str, args: tuple[Any, ...]) -> str | None:
    """What an audit event does that a pure test may not, or None."""
    if event in PROCESS_EVENTS:
        return f"started a process ({event}{_command(event, args)})"
    if event in NETWORK_EVENTS and getattr(args[0], "family", None) in NETWORK_FAMILIES:
        return f"used the network ({event} {args[1]!r})"
    return None


def _command(event: str, args: tuple[Any, ...]) -> str:
    """The command line or program an event names, after a space (os.fork names none)."""
    named = args[1] if event in ("subprocess.Popen", "os.spawn") else args[0] if args else ""
    return f" {str(named)[:120]}" if named else ""


@dataclass
class _Guard:
    """On while a pure test is set up or called; what it did, kept even when the test caught
    the exception the audit hook raised."""

    on: bool = False
    seen: list[str] = field(default_factory=list)


_GUARD = _Guard()


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if not _GUARD.on:
        return
    found = impurity(event, args)
    if found:
        thread = threading.current_thread()
        if thread is not threading.main_thread():  # perhaps one an earlier test left running
            found += f" in thread {thread.name}"
        _GUARD.seen.append(found)
        raise NotPure(f"a pure test {found}: mark it live")


sys.addaudithook(_audit)  # an audit hook stays for the process: _GUARD.on gates this one


@contextlib.contextmanager
def _pure_only(item: pytest.Item) -> Iterator[None]:
    if item.get_closest_marker("pure") is None:
        yield
        return
    _GUARD.seen.clear()
    _GUARD.on = True
    try:
        yield
    finally:
        _GUARD.on = False
    if _GUARD.seen:  # the test went on all the same: it caught NotPure
        raise NotPure(f"a pure test {_GUARD.seen[0]}: mark it live")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Before -m deselects anything: every collected test has exactly one kind, and a debroot
    test is marked system too, so that -m system picks it."""
    problems = []
    for item in items:
        marks = {mark.name for mark in item.iter_markers()}
        if problem := kind_problem(marks):
            problems.append(f"{item.nodeid}: {problem}")
        elif "debroot" in marks and "system" not in marks:
            item.add_marker(pytest.mark.system)
    if problems:
        shown = "\n  ".join(problems[:20])
        more = f"\n  … and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise pytest.UsageError(
            "every test needs one kind, pytest.mark.pure, live or system (tests/kinds.py):\n  "
            + shown
            + more
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, object, object]:
    """Fixtures included: a pure test's fixtures start nothing either."""
    with _pure_only(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    with _pure_only(item):
        return (yield)
