"""Issue 22, the suites' pure decisions: Tails' name mapping and kinds, which suites a sync
creates, what a merge copies and what its guards refuse, the history's lost packages, the
include lines and the incoming rule."""

from __future__ import annotations

import pytest

from snapfront.suites.conf_files import SuiteEntry, render_incoming, with_include
from snapfront.suites.git_refs import parse_refs
from snapfront.suites.history import Event, History, changes, outside_event
from snapfront.suites.names import SuiteKind, branch_kind, suite_name
from snapfront.suites.packages import parse_listing
from snapfront.suites.plan import merge_steps, replace_step
from snapfront.suites.sync_plan import plan_sync, wanted

pytestmark = pytest.mark.pure


@pytest.mark.parametrize(
    ("ref", "suite"),
    [("bugfix/12345-whatever", "bugfix-12345-whatever"), ("feature/Tor_Browser", "feature-tor-browser"),
     ("6.0", "6.0"), ("6.1~rc1", "6.1-rc1"), ("devel", "devel")],
)  # fmt: skip
def test_tails_name_mapping(ref: str, suite: str) -> None:
    assert suite_name(ref) == suite


def test_main_branches_and_overlays() -> None:
    for main in ("stable", "testing", "devel", "feature-trixie"):
        assert branch_kind(main) is SuiteKind.MAIN
    assert branch_kind("feature/jessie") is SuiteKind.OVERLAY
    assert branch_kind("feature/jessie", frozenset({"feature/jessie"})) is SuiteKind.MAIN


def test_sync_creates_what_is_missing_and_reports_what_is_gone() -> None:
    ours = {"devel": SuiteEntry("devel", SuiteKind.MAIN, "devel"),
            "bugfix-1-old": SuiteEntry("bugfix-1-old", SuiteKind.OVERLAY, "bugfix/1-old")}  # fmt: skip
    refs = wanted(["devel", "bugfix/2-new", "unstable", "bugfix_2-new"], ["6.0"])
    plan = plan_sync(refs, ours, ["unstable"])
    assert [(w.name, w.kind) for w in plan.create] == [
        ("bugfix-2-new", SuiteKind.OVERLAY), ("6.0", SuiteKind.RELEASE)]  # fmt: skip
    assert plan.present == ("devel",)
    assert [e.name for e in plan.gone] == ["bugfix-1-old"]
    assert {w.name for w, _why in plan.skipped} == {"unstable", "bugfix-2-new"}


def test_merge_guards_name_downgrades_and_readds() -> None:
    packages = {"src": {"a": "1.0", "b": "2.0", "c": "1.0", "src:a": "1.0"},
                "dst": {"b": "3.0", "d": "1.0"}}  # fmt: skip
    (step,) = merge_steps(["src"], "dst", packages, lost=frozenset({"c"}))
    assert step.downgrades == ("b",) and step.readds == ("c",) and step.refused
    assert "would go backwards: b" in step.refusal() and "lost: c" in step.refusal()
    (allowed,) = merge_steps(["src"], "dst", packages, frozenset({"c"}), True, True)
    assert not allowed.refused
    assert allowed.copy == ("a", "b", "c")  # names reprepro copies (a's source with it)
    assert allowed.after == {"a": "1.0", "b": "2.0", "c": "1.0", "d": "1.0", "src:a": "1.0"}


def test_several_sources_merge_in_order_and_stop_at_the_first_refusal() -> None:
    packages = {"o1": {"x": "1"}, "o2": {"x": "0.5"}, "o3": {"y": "1"}, "dst": {}}
    steps = merge_steps(["o1", "o2", "o3"], "dst", packages)
    assert [s.src for s in steps] == ["o1", "o2"]
    assert not steps[0].refused and steps[1].downgrades == ("x",)


def test_replace_copies_everything_and_shows_what_goes() -> None:
    step = replace_step("new", "old", {"a": "2"}, {"a": "1", "b": "1"})
    assert step.copy == ("a",) and step.after == {"a": "2"}
    assert [c.package for c in step.delta.removed] == ["b"]


def test_history_knows_what_a_suite_lost() -> None:
    went = changes({"a": "1", "b": "1"}, {"a": "2"})
    assert went == (("a", "1", "2"), ("b", "1", None))
    assert outside_event((("b", "1", None),)) == "removal"
    assert outside_event(went) == "outside"
    assert History({}, (Event("merge", 0.0, went),)).lost() == {"b"}


def test_listing_and_refs_parse() -> None:
    text = "deb\thello\t1.0-1\ndeb\thello\t1.1-1\ndsc\thello\t1.1-1\nudeb\tdi\t2\n"
    assert parse_listing(text) == {"di": "2", "hello": "1.1-1", "src:hello": "1.1-1"}
    refs = "1\trefs/heads/devel\n2\trefs/tags/6.0\n3\trefs/tags/6.0^{}\n4\trefs/pull/1/head\n"
    assert parse_refs(refs) == (["devel"], ["6.0"])


def test_include_lines_are_added_once_and_the_rule_allows_uploadable_suites() -> None:
    once = with_include(b"Codename: unstable\n", "snapfront/suites.conf")
    assert once == b"Codename: unstable\n\n!include: snapfront/suites.conf\n"
    assert with_include(once, "snapfront/suites.conf") is None
    entries = {n: SuiteEntry(n, k, n) for n, k in
               (("devel", SuiteKind.MAIN), ("fix", SuiteKind.OVERLAY), ("6.0", SuiteKind.RELEASE))}  # fmt: skip
    rule = render_incoming(entries).decode()
    assert "Name: snapfront\nIncomingDir: incoming\nTempDir: tmp\nAllow: devel fix\n" in rule
    assert "Cleanup" not in rule
