"""A repository mount's suites on its pages: the top page lists them by kind (main, overlay,
release, other), each dists/SUITE/ page shows the suite's kind and recent history.

Kinds come from `snapfront suite sync`'s model (suites.inventory.kinds: a suite it did not
create is `other`), the history from suites.history (db/snapfront-history/SUITE.json, never
served): a page re-reads them whenever the watcher hears that file or conf/ change
(generator.plan). Each event's packages are classified as `snapfront diff` does (diffs).
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from snapfront.diffs.compare import compare
from snapfront.suites import history
from snapfront.suites.inventory import kinds
from snapfront.suites.names import UPLOADABLE, SuiteKind

from .model import SuiteEvent, SuiteGroup, SuiteHistory, SuiteRow

RECENT_EVENTS = 30
"""Events a suite's page shows, newest first; older ones are counted, not listed."""
TITLES = {
    SuiteKind.MAIN: "Main branches",
    SuiteKind.OVERLAY: "Topic branches (overlays)",
    SuiteKind.RELEASE: "Releases (read-only)",
    SuiteKind.OTHER: "Other suites",
}
EVENT_TITLES = {
    "outside": "changed outside snapfront",
    "removal": "removed outside snapfront",
}
"""Events a page names in words; the others (upload, merge, reset, tag) by their name."""

Known = Mapping[str, tuple[SuiteKind, str | None]]


def known_suites(root: str) -> Known:
    """Every configured suite of the basedir → (kind, Git ref); none when conf/ is unreadable
    (the pages show what reprepro exported, as before)."""
    try:
        return kinds(root)
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def suite_groups(root: str, known: Known, dists_url: str) -> tuple[SuiteGroup, ...]:
    """The suites by kind, in the order of SuiteKind, by name within a kind; `dists_url`:
    the URL path of the basedir's dists/ (each row links its suite's page below it)."""
    groups = []
    for kind in SuiteKind:
        rows = []
        for name in sorted(n for n, (k, _ref) in known.items() if k is kind):
            last = _last_event(root, name)
            rows.append(
                SuiteRow(
                    name, f"{dists_url}{quote(name)}/", known[name][1], _uploads(kind),
                    int(last.when) if last else None, last.event if last else None,
                    _title(last.event) if last else None,
                )
            )  # fmt: skip
        if rows:
            groups.append(SuiteGroup(kind.value, TITLES[kind], tuple(rows)))
    return tuple(groups)


def _uploads(kind: SuiteKind) -> str:
    if kind in UPLOADABLE:
        return "accepted"
    return "read-only" if kind is SuiteKind.RELEASE else "\u2014"


def suite_history(root: str, known: Known, suite: str) -> SuiteHistory | None:
    """The suite's kind and recent events; None for a codename that is no suite of the
    model or conf/ (a directory of dists/ only) or cannot have a history (a `/` in it)."""
    if suite not in known or "/" in suite:
        return None
    events = _events(root, suite)
    shown = tuple(_event(e) for e in reversed(events[-RECENT_EVENTS:]))
    return SuiteHistory(suite, known[suite][0].value, shown, max(0, len(events) - RECENT_EVENTS))


def _event(event: history.Event) -> SuiteEvent:
    before = {p: old for p, old, _new in event.changes if old is not None}
    after = {p: new for p, _old, new in event.changes if new is not None}
    delta = compare(before, after)
    return SuiteEvent(event.event, _title(event.event), int(event.when), event.detail, delta)


def _title(event: str) -> str:
    return EVENT_TITLES.get(event, event)


def _last_event(root: str, suite: str) -> history.Event | None:
    events = _events(root, suite)
    return events[-1] if events else None


def _events(root: str, suite: str) -> tuple[history.Event, ...]:
    """The suite's recorded events; none when it has no (readable) history: a page never
    fails for a hand-edited or foreign file."""
    try:
        return history.read(root, suite).events
    except (OSError, ValueError, KeyError, TypeError):
        return ()
