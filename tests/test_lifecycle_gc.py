"""`snapfront snapshot gc` and `drop-codename` on a real reprepro basedir, served by a real
`snapfront serve`, checked with real apt-get."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.apt_client import AptRoot
from tests.lifecycle_support import (
    World,
    expire,
    file_bytes,
    recorded_purges,
    references,
    snapshot_cli,
    tree_hash,
)
from tests.support import fetch, running_server, with_listen

pytestmark = pytest.mark.live


POOL = "pool/main/h/hello"
ONLY_IN_FIRST = {  # bookworm's hello 1.0-1: the first serial alone holds it
    f"{POOL}/hello_1.0-1_all.deb", f"{POOL}/hello_1.0-1.dsc",
    f"{POOL}/hello_1.0-1.debian.tar.xz", f"{POOL}/hello_1.0.orig.tar.gz",
}  # fmt: skip
STILL_HELD = {f"{POOL}/hello_0.9+deb8u1_all.deb", f"{POOL}/hello_1.1~rc1-1_all.deb"}


def until(check: Callable[[], bool], timeout: float = 2.0) -> float:
    """Seconds until `check` held; fails after `timeout`."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < timeout, "not within the time allowed"
        time.sleep(0.05)
    return time.monotonic() - start


def get(url: str) -> str:
    return fetch(url).body.decode(errors="replace")


def apt_for(world: World, tmp_path: Path, url: str, serial: str, codename: str) -> AptRoot:
    line = f"deb [signed-by={world.keyring}] {url}debian/{serial}/ {codename} main"
    return AptRoot(tmp_path / f"apt-{serial}-{codename.replace('/', '-')}", [line])


def test_gc_removes_exactly_the_expired_serial_and_its_pool_files(
    world: World, tmp_path: Path
) -> None:
    first, second, third = world.serials
    expire(world, first, dt.datetime.now(dt.UTC) - dt.timedelta(days=3))
    config = with_listen(world.config, "127.0.0.1:0", world.dir / "test.toml")
    with running_server(config) as server:
        before_apt = apt_for(world, tmp_path, server.url, first, "bookworm").run("update")
        assert before_apt.returncode != 0 or before_apt.problems()
        print(f"apt-get update on {first} before gc:\n{before_apt.output}")
        before_apt.saw("expired")  # what apt saw before gc

        tree = tree_hash(world.root)
        plan = snapshot_cli(world, "gc", "/debian/", "--dry-run")
        assert plan.returncode == 0, plan.stderr
        assert tree_hash(world.root) == tree  # db/ included: nothing changed
        planned = set(re.findall(r"^would delete (\S+) \(\d+ bytes\)$", plan.stdout, re.M))
        assert planned == ONLY_IN_FIRST
        assert plan.stdout.startswith(f"would remove serial {first} (bookworm jessie/updates)\n")

        size = file_bytes(world.root)
        done = snapshot_cli(world, "gc", "/debian/")
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[0] == f"removed serial {first} (bookworm jessie/updates)"
        assert set(re.findall(r"^deleted (\S+)$", done.stdout, re.M)) == planned
        freed = int(re.search(r"freed (\d+) bytes", done.stdout).group(1))
        assert freed == size - file_bytes(world.root)
        assert re.search(r"would free (\d+) bytes", plan.stdout).group(1) == str(freed)

        for codename in ("bookworm", "jessie/updates"):
            assert not world.snapshot(codename, first).exists()
            assert world.snapshot(codename, second).is_dir()
            assert world.snapshot(codename, third).is_dir()
        assert not any((world.root / key).exists() for key in ONLY_IN_FIRST)
        assert all((world.root / key).exists() for key in STILL_HELD)
        refs = references(world)
        assert not any(f"={first} " in line for line in refs)
        assert any(line.startswith(f"s=bookworm={second} ") for line in refs)

        kept = apt_for(world, tmp_path, server.url, second, "bookworm")
        update = kept.run("update")
        assert update.returncode == 0 and update.problems() == [], update.output
        download = kept.run("download", "hello", cwd=tmp_path)
        assert download.returncode == 0, download.output
        print(f"apt-get update + download on {second} after gc:\n{update.output}{download.output}")
        after_apt = apt_for(world, tmp_path, server.url, first, "bookworm").run("update")
        print(f"apt-get update on {first} after gc:\n{after_apt.output}")
        assert after_apt.returncode != 0 and "404  Not Found" in after_apt.output, after_apt.output

        gone = fetch(f"{server.url}debian/{first}/dists/bookworm/InRelease")
        print(f"GET /debian/{first}/dists/bookworm/InRelease after gc: {gone.status}\n"
              f"{gone.body.decode()}")  # fmt: skip
        assert gone.status == 404
        assert gone.body.decode().endswith(f"snapshots that do:\n{second}\n{third}\n")
        until(lambda: f'href="{first}/"' not in get(f"{server.url}debian/"))
        assert f'href="{second}/"' in get(f"{server.url}debian/")

        again = snapshot_cli(world, "gc", "/debian/")
        assert again.stdout == "nothing to remove; 2 serials kept\n"


def test_gc_of_the_newest_but_one_keeps_the_traced_and_pages_follow(world: World) -> None:
    """The newest serial is expired too and --keep 0: only the trace naming it keeps it. The
    trace stays byte for byte; the archive page, the removed serial's page and the newest
    serial's changes page (now against the first) follow within 2 s."""
    first, second, third = world.serials
    for serial in (second, third):
        expire(world, serial, dt.datetime.now(dt.UTC) - dt.timedelta(days=3))
    config = with_listen(world.config, "127.0.0.1:0", world.dir / "test.toml")
    with running_server(config) as server:
        base = f"{server.url}debian/"

        def compared_with() -> str | None:
            return json.loads(fetch(f"{base}{third}/changes.json").body)["changes"]["old"]

        trace = get(f"{base}project/trace/debian")
        assert f"Archive serial: {third}\n" in trace and compared_with() == second
        assert fetch(f"{base}{second}/").status == 200
        done = snapshot_cli(world, "gc", "/debian/", "--keep", "0")
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"removed serial {second} (bookworm jessie/updates)\n")
        assert f"serial {third}" not in done.stdout and f"serial {first}" not in done.stdout
        assert world.snapshot("bookworm", third).is_dir()
        waited = until(
            lambda: (
                f'href="{second}/"' not in get(base)
                and fetch(f"{base}{second}/").status == 404
                and compared_with() == first
            )
        )
        print(f"pages followed gc within {waited:.2f} s")
        assert f'href="{first}/"' in get(base) and f'href="{third}/"' in get(base)
        assert get(f"{base}project/trace/debian") == trace  # still the third, same dates


def test_gc_keeps_the_traced_serial_and_the_grace(world: World) -> None:
    _, second, third = world.serials
    now = dt.datetime.now(dt.UTC)
    expire(world, third, now - dt.timedelta(days=3))  # the trace names it
    expire(world, second, now - dt.timedelta(hours=2))  # within the 24 h grace
    tree = tree_hash(world.root)
    plan = snapshot_cli(world, "gc", "/debian/", "--dry-run", "--keep", "0")
    assert plan.stdout == "nothing to remove; 3 serials kept\n"
    shorter = snapshot_cli(world, "gc", "/debian/", "--dry-run", "--keep", "0", "--grace", "1")
    assert shorter.stdout.startswith(f"would remove serial {second} (")
    assert tree_hash(world.root) == tree


def test_drop_codename(world: World, tmp_path: Path) -> None:
    conf = world.root / "conf" / "distributions"
    logs = world.root / "logs"
    logs.mkdir(exist_ok=True)
    own_logs = {"logs/jessie_updates.log", "logs/jessie_updates.log.1.gz"}  # `Log:` + rotation
    for name in (*own_logs, "logs/bookworm.log", "logs/jessie_updates-notes.txt"):
        (world.root / name).write_text("reprepro log\n")
    tree = tree_hash(world.root)
    refused = snapshot_cli(world, "drop-codename", "/debian/", "jessie/updates")
    assert refused.returncode == 2
    assert refused.stderr == (
        f"snapfront: jessie/updates is still in {world.root}/conf/distributions: "
        "remove its stanza first\n"
    )
    assert tree_hash(world.root) == tree
    stanzas = conf.read_text().split("\n\n")
    conf.write_text(stanzas[0].rstrip("\n") + "\n")  # the operator's first step

    tree = tree_hash(world.root)
    plan = snapshot_cli(world, "drop-codename", "/debian/", "jessie/updates", "--dry-run")
    assert plan.returncode == 0, plan.stderr
    assert tree_hash(world.root) == tree
    only_jessie = {
        f"{POOL}/hello_0.9+deb8u1_all.deb", f"{POOL}/hello_0.9+deb8u1.dsc",
        f"{POOL}/hello_0.9+deb8u1.tar.xz", "pool/main/h/hello-tools/hello-tools_0.9+deb8u2_all.deb",
    }  # fmt: skip
    assert set(re.findall(r"^would delete (\S+) ", plan.stdout, re.M)) == only_jessie
    assert set(re.findall(r"^would remove (logs/\S+)$", plan.stdout, re.M)) == own_logs

    size = file_bytes(world.root, skip=("db",))
    with recorded_purges(world) as purged:
        done = snapshot_cli(world, "drop-codename", "/debian/", "jessie/updates")
    assert done.returncode == 0, done.stderr
    assert not any((world.root / name).exists() for name in own_logs)
    assert (logs / "bookworm.log").exists() and (logs / "jessie_updates-notes.txt").exists()
    assert {
        f"/debian/{world.serials[1]}/dists/jessie/updates/InRelease",  # gone: no stale copy
        "/debian/dists/jessie/updates/InRelease",
        "/debian/pool/main/h/hello-tools/hello-tools_0.9+deb8u2_all.deb",
        "/debian/dists/bookworm/InRelease",  # re-exported (and re-signed) by reprepro export
    } <= set(purged), "\n".join(sorted(purged))
    assert set(re.findall(r"^deleted (\S+)$", done.stdout, re.M)) == only_jessie
    freed = int(re.search(r"freed (\d+) bytes", done.stdout).group(1))
    assert not (world.root / "dists" / "jessie").exists()
    assert not any((world.root / key).exists() for key in only_jessie)
    assert not any("jessie" in line for line in references(world))
    assert (world.root / POOL / "hello_1.1~rc1-1_all.deb").exists()
    # export re-signed bookworm's live Release: what was removed minus what grew
    assert freed >= size - file_bytes(world.root, skip=("db",))

    config = with_listen(world.config, "127.0.0.1:0", world.dir / "test.toml")
    with running_server(config) as server:
        for serial in world.serials:
            apt = apt_for(world, tmp_path, server.url, serial, "bookworm")
            update = apt.run("update")
            assert update.returncode == 0 and update.problems() == [], update.output
        assert apt.run("download", "hello", cwd=tmp_path).returncode == 0
        jessie = apt_for(world, tmp_path, server.url, world.serials[1], "jessie/updates")
        dropped = jessie.run("update")
        print(f"apt-get update on the dropped jessie/updates:\n{dropped.output}")
        assert dropped.returncode != 0  # what apt sees of the dropped codename


def test_take_and_gc_purge_what_they_changed(world: World) -> None:
    first = world.serials[0]
    expire(world, first, dt.datetime.now(dt.UTC) - dt.timedelta(days=3))
    with recorded_purges(world) as seen:
        taken = snapshot_cli(world, "take", "/debian/")
        assert taken.returncode == 0, taken.stderr
        serial = taken.stdout.strip()
        assert f"/debian/{serial}/dists/bookworm/InRelease" in seen
        seen.clear()
        done = snapshot_cli(world, "gc", "/debian/")
        assert done.returncode == 0, done.stderr
        assert f"/debian/{first}/dists/bookworm/InRelease" in seen  # the removed serial's
        assert f"/debian/{first}/dists/jessie/updates/Release" in seen
        assert "/debian/pool/main/h/hello/hello_1.0-1_all.deb" in seen
