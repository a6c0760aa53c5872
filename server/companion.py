"""The watcher beside the server: forked before any socket or thread exists, awaited for its
first build, restarted when it dies, and never left behind.

Process tree: serve → keeper → watcher. The keeper is a small loop with no threads, so it
can fork a fresh watcher whenever one dies (a crash, the OOM killer, an operator's kill),
with a growing pause between attempts; readiness says "watcher dead" only until the new one
runs. Each process is SIGKILLed by the kernel when its parent dies (PR_SET_PDEATHSIG), and
EOF on the lifeline pipe tells the keeper that serve is gone. This module is the keeper's
side; serve's (noticing a dead keeper and starting another) is server.keeper.
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
from collections.abc import Callable

from . import sd_notify
from .child import ready_once, run_child

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


def fork_keeper(companion: Companion, first: bool = True) -> tuple[int, int, int]:
    """Fork the keeper of `companion`: (its pid, the read end of the pipe its first run says
    ready on (-1 unless `first`), the write end of its lifeline). Not `first`: a successor,
    forked from a running server, leaves the server's sockets, event loop and blocked signals
    behind (server.keeper)."""
    ready_r, ready_w = os.pipe() if first else (-1, -1)
    life_r, life_w = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the keeper: never returns
        for fd in (ready_r, life_w):
            if fd >= 0:
                os.close(fd)
        if not first:
            _scrub(keep={0, 1, 2, life_r})
        _die_with(parent)
        status, stopped_by = 1, 0
        try:
            stopped_by = _keep(companion, ready_w, life_r)
            status = 0
        except BaseException:
            log.exception("the watcher's keeper failed")
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            if stopped_by:  # die of the signal that stopped it: whoever waits sees which
                signal.signal(stopped_by, signal.SIG_DFL)
                os.kill(os.getpid(), stopped_by)
            os._exit(status)
    for fd in (ready_w, life_r):
        if fd >= 0:
            os.close(fd)
    return pid, ready_r, life_w


def _scrub(keep: set[int]) -> None:
    """In a keeper forked from a running server (with threads, sockets and an event loop):
    every other descriptor becomes /dev/null (a closed client connection must not stay open in
    here; the Python objects holding them can still close them harmlessly), no signal of ours
    is relayed to the server's loop, and none is blocked (the supervisor blocks them)."""
    signal.set_wakeup_fd(-1)
    signal.pthread_sigmask(signal.SIG_SETMASK, set())
    null = os.open(os.devnull, os.O_RDWR)
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd not in keep and fd != null:
            with contextlib.suppress(OSError):
                os.dup2(null, fd)


def _keep(companion: Companion, ready_w: int, lifeline: int) -> int:
    """In the keeper: run `companion` in a child, again after each death, until serve goes
    (lifeline EOF) or SIGTERM/SIGINT; pass the first run's readiness on to serve (`ready_w`,
    or -1). Returns the signal that stopped it, else 0."""
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
                    describe(status), pause)  # fmt: skip
        deadline = time.monotonic() + pause
        while not stopping and time.monotonic() < deadline:
            if _closed(lifeline, deadline - time.monotonic()):
                return 0
        pause = min(pause * 2, RESTART_PAUSE[1])
    return stopping[0] if stopping else 0


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
        run_child(lambda: companion(ready_once(ready_w), lifeline), "the watcher")
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


def describe(status: int) -> str:
    """A wait status as a log line says it: `signal 9`, `status 1`."""
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}"
    return f"status {os.waitstatus_to_exitcode(status)}"


class _Stop(Exception):
    """SIGTERM or SIGINT arrived while serve waited for the companion's first build."""


def _raise_stop(signum: int, frame: object) -> None:
    raise _Stop(signum)


def wait_ready(ready_r: int) -> bool:
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
