"""/-/ready against a real `snapfront serve`: each condition turns it 503 with its reason,
fixing it (config + SIGHUP, or the disk) turns it back to 200; role_file flips the role;
status.json and metrics refuse other networks. One server walks through every condition.
A keeper that died is said and replaced; `alive` tells a zombie from a running process."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from snapfront.health import facts as gathering
from snapfront.sample import SampleHost
from tests.health_support import private_config, status, wait_for
from tests.support import fetch, running_server

pytestmark = pytest.mark.live


def _ready(base: str):
    return lambda: fetch(base + "/-/ready")


def test_readiness_conditions_role_and_access(sample_host: SampleHost, tmp_path: Path) -> None:
    role_file = tmp_path / "passive"
    server = f'role_file = "{role_file}"\n'
    config = private_config(sample_host, tmp_path, server)
    good = config.read_text()
    with running_server(config) as running:
        base = running.url.rstrip("/")
        ready = _ready(base)
        reply = ready()
        assert reply.status == 200, reply.body
        assert reply.body == b"ready (role active)\n"
        assert reply.header("X-Snapfront-Role") == "active"
        assert reply.header("Cache-Control") == "no-store"
        assert fetch(base + "/-/healthy").status == 200
        assert fetch(base + "/-/nothing").status == 404
        assert fetch(base + "/%2D/ready").status == 404  # the reserved space, never a mount's

        def broken(extra: str, reason: str) -> None:
            config.write_text(good + extra)
            running.signal(signal.SIGHUP)
            reply = wait_for(ready, lambda r: r.status == 503)
            assert reply.status == 503, reply.body
            assert reply.header("Retry-After") == "30"
            assert reply.body.startswith(b"not-ready: ") and reason.encode() in reply.body
            config.write_text(good)
            running.signal(signal.SIGHUP)
            assert wait_for(ready, lambda r: r.status == 200).status == 200

        broken('[health]\nmax_serial_age = "1s"\n', "/debian/: newest serial")
        broken('[health]\nmin_valid_for = "400d"\n', "min_valid_for 400d")  # sample: 365d
        broken('[health]\nmin_free = "1000TiB"\n', "min_free 1000.0 TiB")

        # root ignores permissions: the write probe's path made a directory fails for root too
        probe = tmp_path / "output" / ".snapfront" / "write-probe"
        probe.unlink()
        probe.mkdir()
        reply = wait_for(ready, lambda r: r.status == 503)
        assert b"output not writable:" in reply.body and b"Is a directory" in reply.body
        probe.rmdir()
        assert wait_for(ready, lambda r: r.status == 200).status == 200

        # failover: touch/rm the role file; no signal needed, seen on the next gather
        assert status(base)["role"] == "active"
        role_file.touch()
        reply = wait_for(ready, lambda r: r.header("X-Snapfront-Role") == "passive")
        assert reply.status == 200 and reply.body == b"ready (role passive)\n"
        assert status(base)["role"] == "passive"
        metrics = fetch(base + "/-/metrics").body.decode()
        assert "snapfront_passive 1.0" in metrics and 'role="passive"' in metrics
        role_file.unlink()
        wait_for(ready, lambda r: r.header("X-Snapfront-Role") == "active")
        assert status(base)["role"] == "active"

        # pages and files carry no trace of the role (ETags agree across the pair)
        page = fetch(base + "/debian/")
        assert page.status == 200 and page.header("X-Snapfront-Role") is None

        # status.json and metrics only for [metrics] allow; health for everyone
        config.write_text(good + '[metrics]\nallow = ["10.0.0.0/8"]\n')
        running.signal(signal.SIGHUP)
        reply = wait_for(lambda: fetch(base + "/-/metrics"), lambda r: r.status == 403)
        assert reply.status == 403 and reply.header("Cache-Control") == "no-store"
        assert fetch(base + "/-/status.json").status == 403
        assert fetch(base + "/-/ready").status == 200
        config.write_text(good)
        running.signal(signal.SIGHUP)
        wait_for(lambda: fetch(base + "/-/status.json"), lambda r: r.status == 200)

        # the watcher killed: its pid from status.json
        watcher = status(base)["watcher"]
        assert watcher["alive"] and watcher["last_build"]["ok"]
        os.kill(watcher["pid"], signal.SIGKILL)
        reply = wait_for(ready, lambda r: r.status == 503)
        assert reply.body.startswith(b"not-ready: watcher dead"), reply.body
        assert status(base)["watcher"]["alive"] is False
        # ... and its keeper starts another, which builds and watches: ready again
        assert wait_for(ready, lambda r: r.status == 200, timeout=20).status == 200
        deadline = time.monotonic() + 20
        while not (status(base)["watcher"].get("last_build") or {}).get("ok"):
            assert time.monotonic() < deadline, "the new watcher never finished a build"
            time.sleep(0.2)
        again = status(base)["watcher"]
        assert again["alive"] and again["pid"] != watcher["pid"]
        said = f"the watcher (pid {watcher['pid']}) exited with signal 9; another starts in 2 s"
        assert said in running.log.read_text()
        time.sleep(0.1)


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


@pytest.mark.parametrize(
    ("workers", "signum"),
    [(1, signal.SIGTERM), (1, signal.SIGKILL), (2, signal.SIGTERM), (2, signal.SIGKILL)],
)
def test_a_dead_keeper_is_said_and_replaced(
    sample_host: SampleHost, tmp_path: Path, workers: int, signum: int
) -> None:
    """An operator's kill of the watcher's keeper (it took the watcher along and left pages
    unkept, unsaid): serve logs it, /-/ready says why meanwhile, and another keeper starts
    whose watcher builds; nothing is left <defunct>."""
    config = private_config(sample_host, tmp_path, f"workers = {workers}\n")
    with running_server(config) as running:
        base = running.url.rstrip("/")
        ready = _ready(base)
        assert wait_for(ready, lambda r: r.status == 200).status == 200
        watcher = status(base)["watcher"]["pid"]
        keeper = _parent(watcher)
        assert _parent(keeper) == running.process.pid  # serve (or its supervisor) → keeper
        os.kill(keeper, signum)
        reply = wait_for(ready, lambda r: r.status == 503)
        assert reply.body.startswith(b"not-ready: watcher dead"), reply.body
        said = (f"the watcher's keeper (pid {keeper}) exited with signal {int(signum)}: "
                "pages are not kept current; another starts in 2 s")  # fmt: skip
        deadline = time.monotonic() + 10
        while said not in running.log.read_text():
            assert time.monotonic() < deadline, running.log.read_text()[-3000:]
            time.sleep(0.2)
        assert running.log.read_text().count(said) == 1
        assert not Path(f"/proc/{keeper}").exists(), "the dead keeper was not reaped"
        assert wait_for(ready, lambda r: r.status == 200, timeout=20).status == 200
        deadline = time.monotonic() + 20  # each worker keeps its facts for a second
        while (now := status(base)["watcher"])["pid"] == watcher or not (
            now["last_build"] or {}
        ).get("ok"):
            assert time.monotonic() < deadline, f"no new watcher finished a build: {now}"
            time.sleep(0.2)
        assert _parent(_parent(now["pid"])) == running.process.pid
        assert "started another keeper of the watcher" in running.log.read_text()


def test_alive_knows_a_zombie_is_dead() -> None:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    deadline = time.monotonic() + 5
    while gathering.alive(pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not gathering.alive(pid)  # exited, not yet reaped
    os.waitpid(pid, 0)
    assert gathering.alive(os.getpid())
