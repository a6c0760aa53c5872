"""reprepro's own lock, db/lockfile: one held by a live reprepro (a `reprepro export` stopped
with SIGSTOP while it holds it) is waited for and never broken; one a SIGKILLed reprepro left
is removed by the next snapshot command, after `reprepro check` and `rereference`, in one
line; a killed reprepro that nobody reaped yet (a zombie) holds nothing. Real reprepro."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.lifecycle_support import World, snapshot_cli, tree_hash
from tests.test_lifecycle_take import assert_complete, expected_next

pytestmark = pytest.mark.live

WAITED = 3.0
"""Seconds a take must keep waiting behind the stopped reprepro."""


def lockfile(world: World) -> Path:
    return world.root / "db" / "lockfile"


def reprepro_holding_the_lock(world: World) -> subprocess.Popen[bytes]:
    """A `reprepro export` (and the gpg it runs) stopped while it holds db/lockfile."""
    env = {**os.environ, "GNUPGHOME": str(world.gnupghome)}
    for _attempt in range(20):
        proc = subprocess.Popen(
            ["reprepro", "-b", str(world.root), "export"], env=env, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        while proc.poll() is None and not lockfile(world).exists():
            pass
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGSTOP)
            if lockfile(world).exists() and proc.poll() is None:
                return proc
            os.killpg(proc.pid, signal.SIGCONT)
        proc.wait()
    raise AssertionError("reprepro export never held its lock long enough to be stopped")


def take_in_background(world: World) -> subprocess.Popen[str]:
    env = {**os.environ, "GNUPGHOME": str(world.gnupghome)}
    cli = [sys.executable, "-m", "snapfront.cli", "snapshot", "take", "--config", str(world.config)]
    return subprocess.Popen(
        [*cli, "/debian/"], env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def test_a_live_reprepro_holding_the_lock_is_waited_for_not_broken(world: World) -> None:
    holder = reprepro_holding_the_lock(world)
    lock = os.stat(lockfile(world)).st_ino
    take = take_in_background(world)
    try:
        time.sleep(WAITED)
        assert take.poll() is None, take.communicate()
        assert os.stat(lockfile(world)).st_ino == lock  # still the holder's, untouched
        assert holder.poll() is None
    finally:
        os.killpg(holder.pid, signal.SIGCONT)
    assert holder.wait(timeout=60) == 0
    out, err = take.communicate(timeout=60)
    assert take.returncode == 0, err
    assert out == expected_next(world, 1) + "\n"
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"snapfront: {lockfile(world)} is held (pid {holder.pid} (reprepro)")
    assert lines[0].endswith(": waiting")
    assert_complete(world, out.strip())


def test_a_lock_left_by_a_killed_reprepro_is_removed_after_reprepros_checks(world: World) -> None:
    holder = reprepro_holding_the_lock(world)
    os.killpg(holder.pid, signal.SIGKILL)  # not reaped yet: a zombie reprepro holds nothing
    try:
        _wait_for_zombie(holder.pid)
        assert lockfile(world).exists()
        took = time.monotonic()
        got = snapshot_cli(world, "take", "/debian/")
        took = time.monotonic() - took
    finally:
        holder.wait()
    assert got.returncode == 0, got.stderr
    assert took < 20, took  # not reprepro's --waitforlock: it would wait 10 s a try
    db = world.root / "db"
    assert got.stderr == (
        f"snapfront: {db}/lockfile was stale (no process holds {db}): removed it; "
        "`reprepro check` and `reprepro rereference` passed\n"
    )
    assert got.stdout == expected_next(world, 1) + "\n"
    assert_complete(world, got.stdout.strip())
    assert not lockfile(world).exists()


def _wait_for_zombie(pid: int) -> None:
    for _ in range(500):
        with open(f"/proc/{pid}/stat", "rb") as fh:
            if fh.read().rpartition(b")")[2].split()[0] == b"Z":
                return
        time.sleep(0.01)
    raise AssertionError(f"pid {pid} did not die")


def test_a_dry_run_neither_removes_a_stale_lock_nor_resolves(world: World) -> None:
    holder = reprepro_holding_the_lock(world)
    os.killpg(holder.pid, signal.SIGKILL)
    holder.wait()
    before = tree_hash(world.root)
    got = snapshot_cli(world, "gc", "/debian/", "--dry-run")
    assert got.returncode == 2, got.stderr
    assert got.stderr == (
        f"snapfront: {lockfile(world)} is stale (no process holds it): run the command "
        "without --dry-run, which removes it first\n"
    )
    assert tree_hash(world.root) == before
