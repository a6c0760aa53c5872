"""What a crash leaves is never a serial, and what it leaves is cleared.

A `reprepro gensnapshot` that cron ran, SIGKILLed while it signed (its SignWith hook sleeps):
the directory holds `Release.new` and the `.new` indexes, no InRelease, and db/lockfile is
left behind; it is listed nowhere (pages, `snapshot list`, status.json, the server), and `gc`
removes it once it is older than the grace. A `snapshot take` SIGKILLed half way: its record
shows in `snapshot list` and status.json until resolved, its serial is served nowhere
meanwhile, and the watcher rolls it back by itself. Real reprepro, gpg and `snapfront serve`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from snapfront import sample
from tests.health_support import status, wait_for
from tests.kill_support import Instant, kill_at
from tests.lifecycle_support import World, just_written, snapshot_cli
from tests.support import fetch, running_server, with_listen
from tests.test_crash_recovery import command, environment, record
from tests.test_lifecycle_take import assert_complete

pytestmark = pytest.mark.live

DAY = 86400


def killed_while_signing(world: World, codename: str, serial: str, tmp: Path) -> Path:
    """cron's `reprepro gensnapshot CODENAME SERIAL`, SIGKILLed (with its hook) while it
    signs; conf/distributions put back as it was. Returns the snapshot's directory."""
    conf = world.root / "conf" / "distributions"
    original = conf.read_text()
    hook = tmp / "slow-sign"
    hook.write_text("#!/bin/sh\nsleep 60\n")
    hook.chmod(0o755)
    conf.write_text(original.replace(f"SignWith: {world.fingerprint}", f"SignWith: ! {hook}"))
    directory = world.snapshot(codename, serial)
    proc = subprocess.Popen(
        ["reprepro", "-b", str(world.root), "gensnapshot", codename, serial],
        start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not (directory / "Release.new").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        conf.write_text(original)
    assert (directory / "Release.new").exists() and not (directory / "InRelease").exists()
    return directory


def serials_everywhere(world: World, base: str) -> dict[str, object]:
    listed = json.loads(snapshot_cli(world, "list", "/debian/", "--json").stdout)
    page = json.loads(fetch(f"{base}/debian/index.json").body)
    mount = next(m for m in status(base)["mounts"] if m["url"] == "/debian/")
    return {
        "snapshot list": sorted(row["serial"] for row in listed["serials"]),
        "archive page": sorted(row["serial"] for row in page["serials"]),
        "status.json": mount["serials"],
    }


def test_a_half_written_snapshot_is_no_serial_and_gc_removes_it(world: World, tmp_path) -> None:
    broken = world.serials[0][:8] + "09"
    directory = killed_while_signing(world, "bookworm", broken, tmp_path)
    config = with_listen(world.config, "127.0.0.1:0", world.dir / "half.toml")
    with running_server(config, "--no-watch") as server:
        base = server.url.rstrip("/")
        assert serials_everywhere(world, base) == {
            "snapshot list": list(world.serials),
            "archive page": list(world.serials),
            "status.json": len(world.serials),
        }
        for path in (f"{broken}/", f"{broken}/dists/bookworm/", f"{broken}/dists/bookworm/Release"):
            assert fetch(f"{base}/debian/{path}").status == 404, path

    fresh = snapshot_cli(world, "gc", "/debian/")  # removes the stale lock; keeps it: too new
    assert fresh.returncode == 0, fresh.stderr
    assert "db/lockfile was stale" in fresh.stderr
    assert fresh.stdout.startswith("nothing to remove"), fresh.stdout
    assert directory.is_dir()

    old = time.time() - 2 * DAY  # nothing written in it for two days: past the 24 h grace
    for parent, dirs, files in os.walk(directory):
        for name in (*dirs, *files, ""):
            os.utime(os.path.join(parent, name), (old, old))
    gone = snapshot_cli(world, "gc", "/debian/")
    assert gone.returncode == 0, gone.stderr
    assert gone.stdout.splitlines()[0] == f"removed serial {broken} (bookworm)"
    assert not directory.exists()
    assert not list((world.root / "dists").rglob("*.new"))


def interrupted_take(world: World) -> str:
    """A take SIGKILLed while reprepro writes its snapshots; its serial."""
    args = ("take", "/debian/")
    for attempt in range(10):
        kill_at(
            command(world, args), environment(world), Instant(0.005 * attempt, True), record(world)
        )
        if record(world).exists():
            return json.loads(record(world).read_text())["serials"][0]
    raise AssertionError("no kill landed while the take's record existed")


def test_an_interrupted_take_is_shown_until_the_watcher_rolls_it_back(world: World) -> None:
    serial = interrupted_take(world)
    listed = snapshot_cli(world, "list", "/debian/")
    assert listed.stdout.splitlines()[-1].startswith(f"interrupted: take {serial} (pid ")
    assert serial not in listed.stdout.split("interrupted:")[0]
    config = with_listen(world.config, "127.0.0.1:0", world.dir / "take.toml")
    with running_server(config, "--no-watch") as server:
        base = server.url.rstrip("/")
        mount = next(m for m in status(base)["mounts"] if m["url"] == "/debian/")
        assert mount["interrupted"].startswith(f"take {serial} (pid ")
        assert fetch(f"{base}/debian/{serial}/dists/bookworm/InRelease").status == 404
    with running_server(config) as server:  # with its watcher
        base = server.url.rstrip("/")
        done = wait_for(
            lambda: fetch(f"{base}/-/status.json"), lambda r: b'"interrupted": "' not in r.body, 15
        )
        assert b'"interrupted": "' not in done.body
        log = server.log.read_text()
        assert f"/debian/: interrupted take {serial} (pid " in log
        assert "rolled back: removed its directories and references" in log
        assert not record(world).exists()

        again = snapshot_cli(world, "take", "/debian/")  # nothing of it was ever served
        assert (again.returncode, again.stdout, again.stderr) == (0, f"{serial}\n", "")
        assert_complete(world, serial)
        page = wait_for(
            lambda: fetch(f"{base}/debian/index.json"),
            lambda r: serial in {row["serial"] for row in json.loads(r.body)["serials"]},
            15,
        )
        assert serial in {row["serial"] for row in json.loads(page.body)["serials"]}
    sample.stop_agent(world.gnupghome)


def test_a_dry_run_names_the_interrupted_operation_and_leaves_it(world: World) -> None:
    """A bump killed between writing its new files and renaming them (its Release files were
    written this second: it waits for the next before renaming)."""
    args = ("bump", "/debian/", world.serials[0], "--days", "30")
    for _attempt in range(10):
        just_written(world)
        kill_at(command(world, args), environment(world), Instant(0.05, True), record(world))
        if record(world).exists():
            break
    assert record(world).exists()
    before = record(world).read_bytes()
    got = snapshot_cli(world, "gc", "/debian/", "--dry-run")
    assert got.returncode == 0, got.stderr
    assert got.stderr.startswith(f"snapfront: /debian/: interrupted bump {world.serials[0]} (pid ")
    assert got.stderr.endswith("): the next command resolves it\n")
    assert record(world).read_bytes() == before
    done = snapshot_cli(world, "gc", "/debian/")
    assert done.returncode == 0, done.stderr
    assert ": finished: " in done.stderr and not record(world).exists()
