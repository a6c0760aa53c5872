"""The pure decisions behind crash recovery, without a disk or a subprocess: what an interrupted
operation's recovery does (lifecycle.recovery_plan), whether reprepro's lock is held by a live
process (lifecycle.reprepro_lock), what gc does with a half-written snapshot
(lifecycle.expiry), and the intent record's own format (basedir.intent)."""

from __future__ import annotations

import pytest

from snapfront.basedir.intent import Intent, IntentUnreadable, parse
from snapfront.lifecycle.expiry import Policy, SnapshotFacts, plan
from snapfront.lifecycle.recovery_plan import (
    DirState,
    Drop,
    FileState,
    GcStep,
    decide_drop,
    decide_gc,
    decide_replace,
)
from snapfront.lifecycle.reprepro_lock import Process, holders, places

pytestmark = pytest.mark.pure

READY, PARTIAL, IN_PLACE, NOT_WRITTEN = (
    FileState.READY, FileState.PARTIAL, FileState.IN_PLACE, FileState.NOT_WRITTEN,
)  # fmt: skip
ROOT = "/srv/snapshots/debian"
DB = f"{ROOT}/db"
NOW, HOUR, DAY = 1_800_000_000.0, 3600, 86400


# --- bump and resign --------------------------------------------------------------------


def test_a_bump_whose_new_files_are_all_written_is_finished_from_where_it_stopped() -> None:
    killed_mid_rename = [IN_PLACE, IN_PLACE, READY, READY]
    decided = decide_replace(killed_mid_rename)
    assert (decided.finish, decided.rename, decided.remove) == (True, (2, 3), ())
    assert decide_replace([READY, READY]).rename == (0, 1)  # killed before the first rename
    assert decide_replace([IN_PLACE, IN_PLACE]).rename == ()  # only its record was left


def test_a_bump_killed_while_writing_its_new_files_removes_them_and_replaces_nothing() -> None:
    decided = decide_replace([READY, PARTIAL, NOT_WRITTEN])
    assert (decided.finish, decided.rename, decided.remove, decided.mixed) == (
        False, (), (0, 1), False,
    )  # fmt: skip


def test_a_replaced_file_without_the_rest_is_said_to_need_a_new_run() -> None:
    # cannot happen by replace_all's order (renames start once every temp is written), but
    # a rollback must not pretend the directory is as it was
    assert decide_replace([IN_PLACE, NOT_WRITTEN]).mixed is True


# --- gc and drop-codename ---------------------------------------------------------------


def test_gc_carries_on_in_its_own_order_from_where_it_stopped() -> None:
    assert decide_gc(DirState.IN_PLACE) == GcStep(True, True, True)
    assert decide_gc(DirState.ASIDE) == GcStep(False, True, True)  # unreferencing may be done
    assert decide_gc(DirState.GONE) == GcStep(False, False, False)  # removed after unreferencing


def test_a_drop_is_finished_unless_the_codename_is_configured_again() -> None:
    assert decide_drop("trixie", ["bookworm"]) is Drop.FINISH
    assert decide_drop("trixie", ["bookworm", "trixie"]) is Drop.ABANDON


# --- reprepro's db/lockfile -------------------------------------------------------------


def reprepro(*argv: str, cwd: str | None = "/", env: dict | None = None, **kw) -> Process:
    environ = {} if env is None else env
    return Process(4242, "reprepro", argv=("reprepro", *argv), cwd=cwd, environ=environ, **kw)


def test_a_reprepro_on_this_basedir_holds_it_however_the_basedir_is_named() -> None:
    spelled = [
        reprepro("-b", ROOT, "update"),
        reprepro(f"-b{ROOT}", "export"),
        reprepro("--basedir", ROOT, "--waitforlock", "3", "update"),
        reprepro(f"--basedir={ROOT}", "export"),
        reprepro("--basedi", ROOT, "export"),  # getopt_long takes a prefix
        reprepro("-b", "debian", "export", cwd="/srv/snapshots"),
        reprepro("export", cwd=ROOT),  # no -b: its working directory
        reprepro("export", env={"REPREPRO_BASE_DIR": ROOT}),
        reprepro("-b", "/elsewhere", "--dbdir", DB, "export"),
    ]
    for process in spelled:
        assert holders([process], [DB], [ROOT]), process.argv


def test_a_reprepro_elsewhere_or_dead_or_any_other_process_holds_nothing() -> None:
    others = [
        reprepro("-b", "/srv/other", "update"),
        reprepro("export", cwd="/srv/other"),
        reprepro("-b", ROOT, "export", zombie=True),  # killed, not yet reaped
        Process(7, "python3", argv=("python3", "-b", ROOT), cwd=ROOT, environ={}),
    ]
    assert holders(others, [DB], [ROOT]) == []


def test_an_open_database_file_holds_it_whoever_has_it_open() -> None:
    backup = Process(9, "db5.3_hotbackup", open_paths=(f"{DB}/references.db",), environ={})
    assert holders([backup], [DB], [ROOT]) == [
        f"pid 9 (db5.3_hotbackup) has {DB}/references.db open"
    ]
    assert holders([Process(9, "less", open_paths=(f"{DB}x/y",))], [DB], [ROOT]) == []


def test_a_reprepro_whose_basedir_cannot_be_read_is_taken_for_a_holder() -> None:
    # another user's: neither its working directory nor its environment can be read
    unknown = Process(4242, "reprepro", argv=("reprepro", "export"), cwd=None, environ=None)
    assert places(unknown).basedir is None
    assert holders([unknown], [DB], [ROOT]) == [
        "pid 4242 (reprepro) may use it (its basedir cannot be read)"
    ]


# --- gc and a half-written snapshot -----------------------------------------------------


def whole(codename: str, serial: str) -> SnapshotFacts:
    return SnapshotFacts(codename, serial, int(NOW - 2 * DAY), int(NOW + 300 * DAY))


def half(codename: str, serial: str, written: float, **kw) -> SnapshotFacts:
    return SnapshotFacts(codename, serial, None, None, readable=False, signed=False,
                         written=written, **kw)  # fmt: skip


def test_a_half_written_snapshot_goes_once_left_alone_longer_than_the_grace() -> None:
    policy = Policy(keep=1, grace=24 * HOUR)
    old = half("bookworm", "2026010102", NOW - 25 * HOUR)
    fresh = half("jessie", "2026010103", NOW - HOUR)  # perhaps cron's gensnapshot, writing
    decided = plan([whole("bookworm", "2026010101"), old, fresh], NOW, policy, "2026010101")
    assert decided.remove == (("bookworm", "2026010102"),)
    assert decided.serials_gone == ("2026010102",)


def test_the_newest_serial_kept_is_the_newest_whole_one_and_a_half_one_beside_it_goes() -> None:
    policy = Policy(keep=1, grace=24 * HOUR)
    snapshots = [
        whole("bookworm", "2026010101"),
        half("jessie", "2026010101", NOW - 2 * DAY),  # the newest whole serial's broken twin
        half("bookworm", "2026010102", NOW - 2 * DAY),  # newer, but no serial: keeps nothing
    ]
    decided = plan(snapshots, NOW, policy, traced=None)
    assert decided.remove == (("jessie", "2026010101"), ("bookworm", "2026010102"))
    assert decided.kept == ("2026010101",)


def test_a_signed_snapshot_whose_release_is_unreadable_goes_too_whatever_it_says() -> None:
    unreadable = SnapshotFacts("b", "2026010101", None, None, readable=False, written=NOW - 2 * DAY)
    assert plan([unreadable], NOW, Policy(keep=5), traced=None).remove == (("b", "2026010101"),)
    assert plan([unreadable], NOW, Policy(keep=5), traced="2026010101").remove == ()


# --- the record --------------------------------------------------------------------------


def test_the_record_reads_back_as_written_and_anything_else_is_unreadable() -> None:
    intent = Intent("take", 123, NOW, ("2026120701",), {"created": [["bookworm", "dists/x"]]})
    assert parse(intent.to_json()) == intent
    assert intent.describe() == "take 2026120701 (pid 123, started 2027-01-15 08:00:00 UTC)"
    for bad in (b"", b"{}", b'{"operation": "rm -rf", "pid": 1, "started": 0}', b"[1]"):
        with pytest.raises(IntentUnreadable):
            parse(bad)
