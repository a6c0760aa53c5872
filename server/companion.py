"""The watcher beside the server: forked before any socket or thread exists, awaited for its
first build, restarted when it dies, and never left behind.

Process tree: serve → keeper → watcher. The keeper is a small loop with no threads, so it
can fork a fresh watcher whenever one dies (a crash, the OOM killer, an operator's kill),
with a growing pause between attempts; readiness says "watcher dead" only until the new one
runs. Each process is SIGKILLed by the kernel when its parent dies (PR_SET_PDEATHSIG), and
EOF on the lifeline pipe tells the keeper that serve is gone.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import select
import signal
import sys
import time
from collections.abc import Callable, Iterator

from . import sd_notify

log = logging.getLogger("snapfront")

Companion = Callable[[Callable[[], None], int], int]
"""run(ready, lifeline) -> exit status: a job beside the server in a process of its own (the
watcher). It calls ready() once the output is built; EOF on `lifeline` means the server is gone."""
STOP_TIMEOUT = 10.0
KEEPER_STOP_TIMEOUT = 8.0
"""The keeper gives its watcher a little less than serve gives the keeper."""
RESTART_PAUSE = (2.0, 60.0)
"""Seconds before a dead watcher's successor starts: the first pause, doubling up to the last."""
STEADY = 60.0
"""A watcher that ran this long before dying starts the pauses over."""
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


@contextlib.contextmanager
def beside(companion: Companion | None) -> Iterator[int | None]:
    """Fork the keeper of `companion`, wait until its first run is ready (or gone), and stop
    it when serving ends. SIGTERM/SIGINT while waiting stop it and exit 0."""
    if companion is None:
        yield None
        return
    ready_r, ready_w = os.pipe()
    life_r, life_w = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the keeper: never returns
        os.close(ready_r)
        os.close(life_w)
        _die_with(parent)
        status = 1
        try:
            status = _keep(companion, ready_w, life_r)
        except BaseException:
            log.exception("the watcher's keeper failed")
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)
    os.close(ready_w)
    os.close(life_r)
    try:
        if not _wait_ready(ready_r):
            log.warning("the watcher exited before its first build; serving anyway")
        yield pid
    finally:
        os.close(life_w)
        stop(pid)


def _keep(companion: Companion, ready_w: int, lifeline: int) -> int:
    """In the keeper: run `companion` in a child, again after each death, until serve goes
    (lifeline EOF) or SIGTERM/SIGINT; pass the first run's readiness on to serve."""
    stopping: list[int] = []
    current = [0]  # the running watcher's pid, for SIGHUP (reload) to reach it
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda signum, frame: stopping.append(signum))
    signal.signal(signal.SIGHUP, lambda signum, frame: _signal(current[0], signum))
    pause = RESTART_PAUSE[0]
    first = ready_w
    while not stopping:
        started = time.monotonic()
        child, child_ready = _start(companion, lifeline)
        current[0] = child
        status = _watch(child, child_ready, first, lifeline, stopping)
        first = -1  # serve heard of the first run, ready or not
        if status is None:  # serve is gone or told us to stop
            break
        pause = RESTART_PAUSE[0] if time.monotonic() - started > STEADY else pause
        log.warning("the watcher (pid %d) exited with %s; another starts in %g s", child,
                    _describe(status), pause)  # fmt: skip
        deadline = time.monotonic() + pause
        while not stopping and time.monotonic() < deadline:
            if _closed(lifeline, deadline - time.monotonic()):
                return 0
        pause = min(pause * 2, RESTART_PAUSE[1])
    return 0


def _start(companion: Companion, lifeline: int) -> tuple[int, int]:
    """Fork one run of `companion`; returns its pid and the read end of its ready pipe."""
    ready_r, ready_w = os.pipe()
    keeper = os.getpid()
    pid = os.fork()
    if pid == 0:
        os.close(ready_r)
        _die_with(keeper)
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, signal.SIG_DFL)

        def ready() -> None:
            os.write(ready_w, b".")
            os.close(ready_w)

        status = 1
        try:
            status = companion(ready, lifeline)
        except BaseException:
            log.exception("the watcher failed")
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)
    os.close(ready_w)
    return pid, ready_r


def _watch(child: int, child_ready: int, first: int, lifeline: int, stopping: list) -> int | None:
    """Wait until the child dies (its wait status) or serve stops us (None, child stopped)."""
    watched = [child_ready, lifeline]
    try:
        while True:
            if stopping:
                stop(child, KEEPER_STOP_TIMEOUT)
                return None
            done, status = os.waitpid(child, os.WNOHANG)
            if done:
                return status
            readable, _, _ = select.select(watched, [], [], 0.5)
            if lifeline in readable and not os.read(lifeline, 1):
                stop(child, KEEPER_STOP_TIMEOUT)
                return None
            if child_ready in readable:
                watched.remove(child_ready)
                if os.read(child_ready, 1) and first >= 0:
                    os.write(first, b".")
    finally:
        os.close(child_ready)
        if first >= 0:
            os.close(first)  # ready or not: serve stops waiting


def _signal(pid: int, signum: int) -> None:
    if pid:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


def _closed(lifeline: int, timeout: float) -> bool:
    readable, _, _ = select.select([lifeline], [], [], max(timeout, 0))
    return bool(readable) and not os.read(lifeline, 1)


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}"
    return f"status {os.waitstatus_to_exitcode(status)}"


class _Stop(Exception):
    """SIGTERM or SIGINT arrived while serve waited for the companion's first build."""


def _raise_stop(signum: int, frame: object) -> None:
    raise _Stop(signum)


def _wait_ready(ready_r: int) -> bool:
    """True once the companion says it is ready, False if it exited first. A stop signal
    meanwhile ends the process with status 0; the caller's `finally` stops the companion."""
    stops = (signal.SIGTERM, signal.SIGINT)
    previous = {signum: signal.signal(signum, _raise_stop) for signum in stops}
    try:
        return bool(os.read(ready_r, 1))
    except _Stop as stopped:
        sd_notify.notify("STOPPING=1")
        log.info("signal %s before the first build finished: stopping", stopped.args[0])
        raise SystemExit(0) from None
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        os.close(ready_r)


def _die_with(parent: int) -> None:
    """In a child: have the kernel SIGKILL us when `parent` dies, however it dies (the
    lifeline pipe only helps while we are idle in select())."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # it died before prctl took effect
        os._exit(1)


def stop(pid: int, timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM, then SIGKILL after `timeout`; reaps it unless someone else already did."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while True:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return  # already reaped (the worker supervisor reaps every child)
        if done:
            return
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
            return
        time.sleep(0.02)
