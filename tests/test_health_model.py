"""Readiness as a pure decision (health.model), the facts behind it read from a disk, and the
units. The command line's refusals of [health] and [metrics] keys: tests/test_config.py."""

from __future__ import annotations

import calendar
import os
from pathlib import Path

import pytest

from snapfront.base import units
from snapfront.base.atomic import STATE_DIR
from snapfront.base.ops_config import LOOPBACK, Health, allowed
from snapfront.basedir.intent import Intent, intent_path
from snapfront.basedir.taken import taken_at
from snapfront.health import facts as gathering
from snapfront.health.model import Facts, MountFacts, WatcherFacts, decide
from snapfront.health.status import status_document
from snapfront.health.watcher_file import LastBuild, WatcherState
from snapfront.rewrite_rules import Mount, MountKind
from tests.test_config import GOOD_MOUNT

pytestmark = pytest.mark.pure


NOW = 1_800_000_000.0
DAY = 86400


def _watcher(**changes) -> WatcherFacts:
    state = WatcherState(pid=1, started=NOW - 100, heartbeat=NOW - 1)
    last = changes.pop("last", None)
    if last is not None:
        state = WatcherState(1, NOW - 100, NOW - 1, last_build=last)
    return WatcherFacts(expected=True, alive=changes.pop("alive", True), state=state)


def _facts(**changes) -> Facts:
    base = dict(
        now=NOW,
        role="active",
        mounts=(MountFacts("/debian/", "2026112601", int(NOW - 3600), int(NOW + 30 * DAY), 2),),
        watcher=_watcher(),
        unwritable=None,
        free=(("/var/lib/snapfront", 50 << 30),),
    )
    return Facts(**{**base, **changes})


def test_healthy_facts_are_ready_with_the_stable_token() -> None:
    readiness = decide(_facts(), Health())
    assert readiness.ready and readiness.status == 200
    assert readiness.body() == "ready (role active)\n"


@pytest.mark.parametrize(
    ("facts", "health", "reason"),
    [
        (
            _facts(),
            Health(max_serial_age=1800),
            "newest serial 2026112601 is 1h old (max_serial_age 30m)",
        ),
        (
            _facts(),
            Health(min_valid_for=40 * DAY),
            "expires in 30d (Valid-Until; min_valid_for 40d)",
        ),
        (
            _facts(mounts=(MountFacts("/d/", "2026112601", None, int(NOW - 5), 1),)),
            Health(),
            "expired",
        ),
        (_facts(watcher=_watcher(alive=False)), Health(), "watcher dead"),
        (
            _facts(watcher=WatcherFacts(True, True, WatcherState(1, NOW - 200, NOW - 120))),
            Health(),
            "watcher dead (no heartbeat for 2m)",
        ),
        (_facts(watcher=WatcherFacts(True, True, None)), Health(), "watcher dead"),
        (
            _facts(watcher=_watcher(last=LastBuild(NOW, False, 1.0, 0, 0))),
            Health(),
            "watcher's last build failed",
        ),
        (
            _facts(unwritable="/o/.snapfront/write-probe: Read-only file system"),
            Health(),
            "output not writable: /o/.snapfront/write-probe: Read-only file system",
        ),
        (
            _facts(),
            Health(min_free=100 << 30),
            "/var/lib/snapfront: 50.0 GiB free (min_free 100.0 GiB)",
        ),
        (
            _facts(mounts=(MountFacts("/d/", serials=3),)),
            Health(),
            "/d/: no complete signed serial",
        ),
        (
            _facts(mounts=(MountFacts("/d/", problem="cannot read serials: gpgv not found"),)),
            Health(),
            "/d/: cannot read serials",
        ),
    ],
)
def test_each_condition_turns_not_ready_with_its_reason(facts, health, reason) -> None:
    readiness = decide(facts, health)
    assert not readiness.ready and readiness.status == 503
    assert reason in readiness.body()
    assert readiness.body().startswith("not-ready: ") and readiness.body().count("\n") == 1


def test_defaults_leave_serial_age_unchecked_and_warn_a_day_before_expiry() -> None:
    old = _facts(
        mounts=(MountFacts("/d/", "2020010101", int(NOW - 400 * DAY), int(NOW + 2 * DAY), 1),)
    )
    assert decide(old, Health()).ready
    soon = _facts(mounts=(MountFacts("/d/", "2020010101", None, int(NOW + DAY - 60), 1),))
    assert not decide(soon, Health()).ready


def test_a_release_tree_months_old_never_turns_ready_503() -> None:
    """A files mount's newest data is reported, not judged: releases may pause for months."""
    files = MountFacts("/", kind="files", newest=NOW - 90 * DAY, newest_path="mediawiki")
    strict = Health(max_serial_age=3600, min_valid_for=40 * DAY)
    readiness = decide(_facts(mounts=(files,)), strict)
    assert readiness.ready, readiness.reasons
    document = status_document(_facts(mounts=(files,)), readiness, "1.0", {})
    assert document["mounts"][0]["newest_data_age_seconds"] == 90 * DAY
    assert document["mounts"][0]["newest_data_path"] == "mediawiki"
    assert document["mounts"][0]["newest_serial"] is None


def test_a_passive_host_is_ready_and_says_so() -> None:
    readiness = decide(_facts(role="passive"), Health())
    assert readiness.ready and readiness.body() == "ready (role passive)\n"


def test_no_watch_means_no_watcher_check_and_an_empty_mount_is_fine() -> None:
    facts = _facts(watcher=WatcherFacts(expected=False), mounts=(MountFacts("/d/"),))
    assert decide(facts, Health()).ready


def test_taken_at_is_the_release_date_but_never_after_the_serials_day() -> None:
    day_end = calendar.timegm((2026, 11, 26, 0, 0, 0)) + DAY
    assert taken_at("2026112601", day_end - 5000, None) == day_end - 5000
    # re-signed (Date set to now) a week later: still as old as its serial's day says
    assert taken_at("2026112601", day_end + 7 * DAY, None) == day_end
    assert taken_at("2026112601", None, day_end - 10) == day_end - 10
    assert taken_at("2026139901", 123, None) == 123


def test_units() -> None:
    assert units.duration("12h") == 43200 and units.duration("7d") == 7 * DAY
    assert units.duration(90) == 90 and units.duration("1.5m") == 90
    assert units.size("5GiB") == 5 << 30 and units.size("1MB") == 10**6 and units.size(7) == 7
    for bad in ("soon", "-1d", True, "5 parsecs"):
        with pytest.raises(ValueError):
            units.duration(bad) if bad != "5 parsecs" else units.size(bad)


def test_allowed_networks() -> None:
    assert allowed(LOOPBACK, "127.0.0.1") and allowed(LOOPBACK, "::1")
    assert allowed(LOOPBACK, "::ffff:127.0.0.2")
    assert not allowed(LOOPBACK, "10.1.2.3") and not allowed(LOOPBACK, None)


def test_role_file_makes_passive_while_it_exists(tmp_path: Path) -> None:
    from dataclasses import replace

    from snapfront.base.config import load

    (tmp_path / "root").mkdir()
    config_path = tmp_path / "c.toml"
    config_path.write_text('[server]\noutput = "out"\nrole_file = "passive"\n' + GOOD_MOUNT)
    config = load(str(config_path))
    assert gathering.role(config) == "active"
    (tmp_path / "passive").touch()
    assert gathering.role(config) == "passive"
    os.unlink(tmp_path / "passive")
    assert gathering.role(replace(config, role="passive")) == "passive"


def test_write_probe_and_free_space(tmp_path: Path) -> None:
    assert gathering.unwritable(str(tmp_path)) is None
    probe = tmp_path / ".snapfront" / gathering.PROBE_NAME
    probe.unlink()
    probe.mkdir()  # root ignores permissions, not EISDIR: stands in for a read-only mount
    assert "Is a directory" in gathering.unwritable(str(tmp_path))
    (path, free), *rest = gathering.free_space([str(tmp_path), str(tmp_path)])
    assert path == str(tmp_path) and free > 0 and not rest


@pytest.mark.parametrize(
    ("kind", "where", "operation"),
    [(MountKind.REPOSITORY, "", "suite-change"), (MountKind.TAGGED, STATE_DIR, "tagged-create")],
)
def test_an_interrupted_operation_of_a_repository_or_tagged_mount_is_reported(
    tmp_path: Path, kind: MountKind, where: str, operation: str
) -> None:
    """status.json's `interrupted` for the mounts whose commands record intents of their own:
    a repository's in its db/, a tagged mount's in its hidden state directory."""
    mount = Mount("/m/", kind, str(tmp_path), "m")
    assert gathering._tree(mount, None).interrupted is None
    record = Path(intent_path(str(tmp_path / where)))
    record.parent.mkdir(parents=True)
    record.write_bytes(Intent(operation, 4242, 1_765_000_000.0, (), {"suite": "devel"}).to_json())
    said = gathering._tree(mount, None).interrupted
    assert said is not None and said.startswith(operation) and "pid 4242" in said, said
