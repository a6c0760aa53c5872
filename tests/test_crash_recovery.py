"""SIGKILL to the whole process group (snapfront, and the reprepro and gpg it runs) of `snapshot
take`, `bump`, `resign`, `gc` and `drop-codename`, at instants spread over each command's run
and dense where reprepro or gpg write (tests/kill_support.py), each on a fresh copy of the same
basedir. After each kill: a snapshot directory that is not sound (InRelease verifies and signs
its Release, Release.gpg verifies) is listed nowhere. Then the same command runs again: it
exits 0 within seconds, having finished or rolled back the interrupted one (one line on
stderr); everything is sound, nothing half-written is left, `reprepro dumpreferences` matches
the directories, and for a sample of the instants real apt-get updates from every serial the
archive page lists."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from debian.deb822 import Deb822

from snapfront import sample
from tests.crash_checks import after_kill, after_next, apt_updates
from tests.kill_support import RECORD, Calibration, calibrate, instants, kill_at
from tests.lifecycle_support import (
    World,
    copy_world,
    expire,
    just_written,
    snapshot_cli,
    stop_agent,
)

pytestmark = pytest.mark.live

INSTANTS = 15
"""Kill instants per command (plus the calibration run); a third spread over the whole run."""
APT_EVERY = 6
"""Every sixth instant's basedir is also served and updated from with apt-get."""
NEXT_RUN_SECONDS = 20.0


def _expire_two(world: World) -> None:
    """The two oldest serials expired ten days ago: gc removes them (the newest is kept)."""
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
    for serial in world.serials[:2]:
        expire(world, serial, past)


def _unconfigure_jessie(world: World) -> None:
    """The operator's first step of drop-codename: its stanza out of conf/distributions."""
    with open(world.root / "conf" / "distributions") as fh:
        stanzas = [dict(s) for s in Deb822.iter_paragraphs(fh, use_apt_pkg=False)]
    kept = [s for s in stanzas if s["Codename"] != "jessie/updates"]
    sample.write_distributions(world.root, kept)


@dataclass(frozen=True)
class Case:
    args: Callable[[World], tuple[str, ...]]
    prepare: Callable[[World], None] | None = None  # once, on the template
    before: Callable[[World], None] | None = None  # on each copy, just before the run


CASES = {
    "take": Case(lambda w: ("take", "/debian/")),
    "bump": Case(lambda w: ("bump", "/debian/", *w.serials, "--days", "30"), None, just_written),
    "resign": Case(lambda w: ("resign", "/debian/", "--all")),
    "gc": Case(lambda w: ("gc", "/debian/"), _expire_two),
    "drop-codename": Case(
        lambda w: ("drop-codename", "/debian/", "jessie/updates"), _unconfigure_jessie
    ),
}


def command(world: World, args: tuple[str, ...]) -> list[str]:
    cli = [sys.executable, "-m", "snapfront.cli", "snapshot", args[0]]
    return [*cli, "--config", str(world.config), *args[1:]]


def record(world: World) -> Path:
    return world.root / "db" / "snapfront.intent"


def environment(world: World) -> dict[str, str]:
    return {**os.environ, "GNUPGHOME": str(world.gnupghome)}


def recovery_of(stderr: str) -> str:
    """What the next run said it resolved: the words after the operation, or nothing."""
    said = []
    for line in stderr.splitlines():
        if " was stale " in line:
            said.append("stale db/lockfile removed")
        elif ": interrupted " in line:
            said.append(line.split("): ", 1)[-1].split(":", 1)[0])
    return "; ".join(said) or "nothing to resolve"


@pytest.mark.parametrize("name", list(CASES))
def test_killed_at_any_instant_the_next_run_finishes_or_undoes_it(
    name: str, lifecycle_template: World, tmp_path: Path
) -> None:
    case = CASES[name]
    template = copy_world(lifecycle_template, tmp_path / "template")
    if case.prepare is not None:
        case.prepare(template)
    stop_agent(template)
    timing = _calibrated(template, case, tmp_path / "calibration")
    problems: list[str] = []
    seen: Counter[str] = Counter()
    for index, instant in enumerate(instants(timing, INSTANTS)):
        world = copy_world(template, tmp_path / f"kill-{index}")
        try:
            cmd = command(world, case.args(world))
            if case.before is not None:
                case.before(world)
            killed = kill_at(cmd, environment(world), instant, record(world))
            where = f"killed {instant}"
            if killed.exited is not None:
                where = f"finished before {instant} (exit {killed.exited})"
            problems += [f"{where}: {p}" for p in after_kill(world)]
            started = time.monotonic()
            again = snapshot_cli(world, *case.args(world))
            took = time.monotonic() - started
            if again.returncode != 0 or took > NEXT_RUN_SECONDS:
                problems.append(f"{where}: next run exit {again.returncode} in {took:.1f} s: "
                                f"{again.stderr.strip()}")  # fmt: skip
            seen[recovery_of(again.stderr)] += 1
            problems += [f"{where}, after the next run: {p}" for p in after_next(world)]
            if index % APT_EVERY == APT_EVERY - 1:
                sources, apt = apt_updates(world, tmp_path / f"apt-{index}")
                assert sources, f"{where}: the archive page lists no serial"
                problems += [f"{where}, apt-get update: {p}" for p in apt]
        finally:
            stop_agent(world)
            shutil.rmtree(world.dir, ignore_errors=True)
    report = ", ".join(f"{what}: {count}" for what, count in sorted(seen.items()))
    life = timing.record()
    tools = ", ".join(sorted({what for _s, _e, what in timing.busy} - {RECORD}))
    print(
        f"\n{name}: {INSTANTS} kill instants over a {timing.duration:.2f} s run "
        f"(intent record {'never' if life is None else f'{life[1] - life[0]:.3f} s'}; "
        f"tools {tools}); next run: {report}"
    )
    assert not problems, "\n".join(problems)


def _calibrated(template: World, case: Case, place: Path) -> Calibration:
    """One whole run on a copy: how long it takes and when its tools run."""
    world = copy_world(template, place)
    if case.before is not None:
        case.before(world)
    try:
        return calibrate(command(world, case.args(world)), environment(world), record(world))
    finally:
        stop_agent(world)
        shutil.rmtree(world.dir, ignore_errors=True)
