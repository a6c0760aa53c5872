"""The race a plain rsync of a snapshot archive loses: while the active's new serial arrives
on the passive (the daemon slowed by `--bwlimit`, its pool a few MB of stored random .debs:
seconds), real `apt-get update` and `apt-get download` runs, and the trace, read in a loop
from `snapfront serve` on the passive never see a Hash Sum mismatch, a 404 for a file the
Release lists, nor a trace naming the serial before its files are there. The control, plain
`rsync -a --delete` of the same change into a second copy of the passive, does (dists/ sorts
before pool/), which proves the loop catches it. And `snapfront replicate` SIGKILLed at a few
instants of such a transfer: the passive never names the serial meanwhile, never serves
rsync's staging directories, and the next run finishes it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from snapfront import sample
from tests.apt_client import AptRoot
from tests.health_support import wait_for
from tests.lifecycle_support import tree_hash
from tests.replication_support import cli, large_debs, passive, rsync_daemon, served_config
from tests.snapshot_cli import snapshot
from tests.support import fetch, running_server

pytestmark = pytest.mark.live

LARGE = (3, 1_500_000)  # packages, bytes each: 4.5 MB of pool for the new serial
BWLIMIT = 1200  # KiB/s the daemon sends at: about 4 s for that pool
TRACE = "debian/project/trace/debian"


@dataclass(frozen=True)
class Race:
    active: sample.SampleHost
    template: Path  # a passive's config, replicated before the new serial
    source: str  # rsync://127.0.0.1:PORT/ of the slowed daemon
    serial: str  # the active's new serial
    pool: dict[str, int]  # its large pool files (relative to the basedir) → size


@pytest.fixture(scope="module")
def race(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Race]:
    """The sample host as the active; a passive replicated from it; then, on the active, the
    large packages included and a new serial taken."""
    where = tmp_path_factory.mktemp("race")
    active = sample.build_sample_host(where / "active")
    with rsync_daemon(active.config, where, f"--bwlimit={BWLIMIT}") as source:
        template = passive(active.config, where / "template", source)
        done = cli(template, "replicate")
        assert done.returncode == 0, done.stderr
        root = active.snapshots_root
        for deb in large_debs(where / "debs", *LARGE).values():
            sample.reprepro(root, active.gnupghome, "includedeb", "bookworm", str(deb))
        serial = active.serials[-1][:8] + "03"
        took = snapshot(active.config, "take", "/debian/", "--serial", serial,
                        gnupghome=active.gnupghome)  # fmt: skip
        assert took.returncode == 0, took.stderr
        pool = {
            str(deb.relative_to(root)): deb.stat().st_size
            for deb in (root / "pool").rglob("snapfront-large-*.deb")
        }
        assert len(pool) == LARGE[0]
        yield Race(active, template, source, serial, pool)


def copy_of(template: Path, where: Path) -> Path:
    """Another passive host in the state `template`'s is in; its config."""
    shutil.copytree(template.parent, where, symlinks=True)
    return where / template.name


@dataclass
class Seen:
    """What the client loop saw against one passive while a transfer ran."""

    rounds: int = 0
    served: int = 0  # rounds in which the passive served the new serial
    problems: list[str] = field(default_factory=list)

    def say(self) -> str:
        apt = [p for p in self.problems if p.startswith("apt-get")]
        mismatches = sum("Hash Sum mismatch" in p for p in apt)
        missing = sum("404" in p for p in apt)
        early = len(self.problems) - len(apt)
        first = f"\n  first: {self.problems[0]}" if self.problems else ""
        return (
            f"{len(self.problems)} problems in {self.rounds} rounds: {mismatches} Hash Sum "
            f"mismatch, {missing} apt runs with 404s, {early} traces naming the serial early; "
            f"the new serial served in {self.served} rounds{first}"
        )


def _worst(output: str, problems: list[str]) -> str:
    """apt's lines that say what went wrong: a 404 or a mismatch before any other."""
    lines = [line.strip() for line in output.splitlines()]
    said = [line for line in lines if "404" in line or "Hash Sum mismatch" in line]
    return " | ".join((said or problems or [output.strip()])[:2])


def probe(race: Race, base: str, apt: AptRoot, scratch: Path, seen: Seen) -> None:
    """One round of a client of the passive at `base`."""
    seen.rounds += 1
    serial = race.serial
    if f"Archive serial: {serial}" in fetch(base + TRACE).body.decode(errors="replace"):
        missing = []
        for path, size in race.pool.items():
            reply = fetch(f"{base}debian/{serial}/{path}", "HEAD")
            if reply.status != 200 or reply.header("Content-Length") != str(size):
                missing.append(f"{path}: {reply.status}")
        if missing:
            seen.problems.append(f"the trace names {serial} before " + ", ".join(missing))
    if fetch(f"{base}debian/{serial}/dists/bookworm/InRelease", "HEAD").status != 200:
        time.sleep(0.05)
        return  # not served yet: what a passive should do until every file is there
    seen.served += 1
    update = apt.run("update")
    if update.returncode != 0 or update.problems():
        seen.problems.append("apt-get update: " + _worst(update.output, update.problems()))
        return
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    names = [Path(path).name.split("_")[0] for path in race.pool]
    download = apt.run("download", *names, cwd=scratch)
    if download.returncode != 0 or download.problems():
        seen.problems.append("apt-get download: " + _worst(download.output, download.problems()))


def watch_transfer(race: Race, config: Path, command: Sequence[str], work: Path) -> Seen:
    """Serve the passive of `config` (its watcher keeps pages and trace), run `command`, and
    probe as a client until it ends; then once more when the trace names the new serial."""
    work.mkdir()
    seen = Seen()
    keyring = config.parent / "keyring.gpg"
    with running_server(served_config(config)) as server:
        source = f"deb [signed-by={keyring}] {server.url}debian/{race.serial}/ bookworm main"
        apt = AptRoot(work / "apt", [source])
        assert fetch(f"{server.url}debian/{race.serial}/dists/bookworm/InRelease").status == 404
        with open(work / "transfer.log", "w") as log:
            transfer = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
            try:
                while transfer.poll() is None:
                    probe(race, server.url, apt, work / "download", seen)
            finally:
                if transfer.poll() is None:
                    transfer.kill()
                transfer.wait()
        assert transfer.returncode == 0, (work / "transfer.log").read_text()
        named = wait_for(lambda: fetch(server.url + TRACE),
                         lambda r: race.serial.encode() in r.body, 15)  # fmt: skip
        assert race.serial.encode() in named.body, named.body
        probe(race, server.url, apt, work / "download", seen)
    return seen


def test_the_passive_never_serves_half_a_serial_while_plain_rsync_does(
    race: Race, tmp_path: Path
) -> None:
    ours = copy_of(race.template, tmp_path / "snapfront")
    control = copy_of(race.template, tmp_path / "control")
    replicate = [sys.executable, "-m", "snapfront.cli", "replicate", "--config", str(ours)]
    clean = watch_transfer(race, ours, replicate, tmp_path / "snapfront-client")
    plain = ["rsync", "-a", "--delete", f"{race.source}debian/",
             f"{control.parent / 'snapshots/debian'}/"]  # fmt: skip
    raced = watch_transfer(race, control, plain, tmp_path / "control-client")
    print(f"\ncontrol (rsync -a --delete): {raced.say()}\nsnapfront replicate: {clean.say()}")
    assert clean.problems == [], clean.problems
    assert clean.served >= 1  # the loop saw the serial once it was whole (after the run)
    assert raced.problems, "the control never caught half a serial: the loop proves nothing"
    root = race.active.snapshots_root
    skip = ("db",)
    assert tree_hash(ours.parent / "snapshots/debian", skip=skip) == tree_hash(root, skip=skip)


def kill_when(command: Sequence[str], ready: Callable[[float], bool]) -> float:
    """Run `command` in a process group of its own; SIGKILL the group as soon as `ready(the
    seconds it has run)` holds (asked every millisecond); how long it ran. It must not end
    first."""
    started = time.monotonic()
    run = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        while not ready(time.monotonic() - started):
            assert run.poll() is None, "the run ended before the instant came"
            time.sleep(0.001)
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
    return time.monotonic() - started


def debian_status(base: str) -> dict:
    status = json.loads(fetch(base + "-/status.json").body)
    return next(m for m in status["mounts"] if m["url"] == "/debian/")


def half_served(race: Race, base: str, basedir: Path) -> list[str]:
    """What a killed run must never let the passive show: the new serial named by the trace,
    the archive page, /-/ready or status.json (as its newest), its InRelease served, a
    staging directory's file served."""
    serial = race.serial
    found = []
    for url in (TRACE, "debian/index.json", "-/ready"):
        if serial.encode() in fetch(base + url).body:
            found.append(f"{url} names {serial}")
    if debian_status(base)["newest_serial"] == serial:
        found.append(f"status.json names {serial} as the newest")
    if fetch(f"{base}debian/{serial}/dists/bookworm/InRelease").status != 404:
        found.append(f"{serial}'s InRelease is served")
    for staged in basedir.rglob(".~tmp~/*"):
        url = "debian/" + str(staged.relative_to(basedir))
        if fetch(base + url).status == 200:
            found.append(f"{url} is served")
    return found


def test_a_killed_run_never_shows_half_a_serial_and_the_next_finishes(
    race: Race, tmp_path: Path
) -> None:
    config = copy_of(race.template, tmp_path / "passive")
    basedir = config.parent / "snapshots/debian"
    arriving = basedir / "dists/bookworm/snapshots" / race.serial
    replicate = [sys.executable, "-m", "snapfront.cli", "replicate", "--config", str(config)]
    instants: dict[str, Callable[[float], bool]] = {
        "1 s into the pool (stage 1)": lambda ran: ran > 1.0,
        "the serial's dists/ staged in .~tmp~ (stage 2)": lambda _: (arriving / ".~tmp~").is_dir(),
        "its InRelease in place (before the run ends)": lambda _: (arriving / "InRelease").exists(),
    }
    seen: list[str] = []
    phase = ["the first run"]
    stop = threading.Event()
    with running_server(served_config(config)) as server:

        def probe_all_along() -> None:  # during the killed runs and after each kill
            while not stop.is_set():
                seen.extend(f"{phase[0]}: {p}" for p in half_served(race, server.url, basedir))
                time.sleep(0.05)

        prober = threading.Thread(target=probe_all_along)
        prober.start()
        try:
            for instant, ready in instants.items():
                took = kill_when(replicate, ready)
                phase[0] = f"killed at {instant}"
                time.sleep(1.5)  # the watcher's poll and quiet time, and more
                staged = len(list(basedir.rglob(".~tmp~/*")))
                print(f"\nkilled at {instant}, {took:.2f} s after its start; {staged} staged")
                assert staged or "stage 2" not in instant  # the probe asks for them
                said = debian_status(server.url)["interrupted"] or ""  # what ops are told
                assert said.startswith(f"replicate {race.serial} (pid "), said
                phase[0] = f"the run after the kill at {instant}"
        finally:
            stop.set()
            prober.join()
        done = cli(config, "replicate")
        assert done.returncode == 0, done.stderr
        assert "0 quarantined" in done.stdout.splitlines()[0], done.stdout
        named = wait_for(lambda: fetch(server.url + TRACE),
                         lambda r: race.serial.encode() in r.body, 15)  # fmt: skip
        assert race.serial.encode() in named.body
    assert seen == [], sorted(set(seen))
    assert not list(basedir.rglob(".~tmp~")) and not list(basedir.rglob(".*.??????"))
    skip = ("db",)
    assert tree_hash(basedir, skip=skip) == tree_hash(race.active.snapshots_root, skip=skip)
    assert not (config.parent / "output/.snapfront/quarantine").exists()
