"""SIGKILL a command's whole process group at chosen instants (tests/test_crash_recovery.py).

`calibrate` runs the command once to the end while sampling, every few milliseconds, /proc
for the processes of its group (the reprepro and gpg snapfront runs) and the basedir for its
intent record, which exists exactly while snapfront changes the basedir: how long the whole
run takes, when each tool ran and how long the record lived. `instants` spreads a third of the
kills evenly over the whole run, timed from the start; the other two thirds evenly over the
record's life, timed from the moment the record appears (`kill_at` watches for it), so that
process start-up jitter does not move them out of a write phase a few milliseconds long.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

SAMPLE = 0.002
POLL = 0.0002


@dataclass
class Calibration:
    duration: float
    busy: list[tuple[float, float, str]] = field(default_factory=list)  # (start, end, what)

    def record(self) -> tuple[float, float] | None:
        """When the intent record appeared and was removed, if it ever existed."""
        found = [(start, end) for start, end, what in self.busy if what == RECORD]
        return found[0] if found else None


RECORD = "intent record"


@dataclass(frozen=True)
class Instant:
    delay: float
    after_record: bool = False  # counted from the record's appearance, not the start

    def __str__(self) -> str:
        return f"{self.delay * 1000:.1f} ms after {'its record' if self.after_record else 'start'}"


def _group_members(pgid: int) -> dict[int, str]:
    found = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                head, _, tail = fh.read().rpartition(b")")
        except OSError:
            continue
        fields = tail.split()
        if len(fields) > 2 and int(fields[2]) == pgid:
            found[int(name)] = head.split(b"(", 1)[1].decode(errors="replace")
    return found


def calibrate(cmd: Sequence[str], env: Mapping[str, str], record: Path) -> Calibration:
    """Run `cmd` to its end: when which tool ran (its own python aside), and while `record`
    (the basedir's intent record) existed."""
    started = time.monotonic()
    proc = _start(cmd, env, stderr=subprocess.PIPE)
    seen: dict[object, list] = {}
    scanned = 0.0
    while proc.poll() is None:
        now = time.monotonic() - started
        if now - scanned >= SAMPLE:  # /proc now and then, the record (one stat) all along
            scanned = now
            for pid, comm in _group_members(proc.pid).items():
                if pid != proc.pid:
                    seen.setdefault(pid, [comm, now, now])[2] = now
        if record.exists():
            seen.setdefault(RECORD, [RECORD, now, now])[2] = now
        time.sleep(POLL)
    err = proc.stderr.read() if proc.stderr else ""
    assert proc.wait() == 0, err
    duration = time.monotonic() - started
    busy = sorted((first, last + SAMPLE, what) for what, first, last in seen.values())
    return Calibration(duration, busy)


def instants(calibration: Calibration, count: int) -> list[Instant]:
    """`count` instants: a third over the whole run, the rest over the record's life."""
    record = calibration.record()
    spread = count // 3 if record else count
    whole = [Instant(calibration.duration * (i + 0.5) / spread) for i in range(spread)]
    if record is None:
        return whole
    life = record[1] - record[0]
    inside = count - spread
    return whole + [Instant(life * (i + 0.5) / inside, after_record=True) for i in range(inside)]


@dataclass(frozen=True)
class Killed:
    instant: Instant
    exited: int | None  # the command's own exit status when it finished before the kill


def kill_at(cmd: Sequence[str], env: Mapping[str, str], instant: Instant, record: Path) -> Killed:
    """Start `cmd` in a process group of its own; SIGKILL the whole group at `instant`."""
    proc = _start(cmd, env)
    if instant.after_record:
        while not record.exists() and proc.poll() is None:
            time.sleep(POLL)
    try:
        proc.wait(timeout=instant.delay)
        return Killed(instant, proc.returncode)
    except subprocess.TimeoutExpired:
        pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return Killed(instant, None)


def _start(
    cmd: Sequence[str], env: Mapping[str, str], stderr: int = subprocess.DEVNULL
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        cmd, env=dict(env), start_new_session=True, stdout=subprocess.DEVNULL, stderr=stderr,
        text=True,
    )  # fmt: skip
