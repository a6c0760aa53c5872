"""Several serving processes on the same ports: a small pre-fork supervisor over SO_REUSEPORT.

The parent binds a socket without listening on it for each address (HTTP, and HTTPS when
configured), which reserves the port (port 0 becomes a real one) but never receives
connections; each worker binds its own listening sockets to those ports with SO_REUSEPORT, so
the kernel spreads connections over them. The parent announces once every worker accepts,
forwards SIGTERM/SIGINT/SIGHUP, and replaces a worker that dies.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .child import ready_once, run_child

log = logging.getLogger("snapfront")

SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD)
TICK = 1.0
"""Seconds the supervisor waits for a signal before it runs `tick` anyway."""

Ports = tuple[int, ...]
Worker = Callable[[Ports, Callable[[], None]], int]
"""run(ports, ready) -> exit status; calls ready() once its sockets accept."""


def reserve_port(host: str, port: int) -> tuple[socket.socket, int]:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock, sock.getsockname()[1]


def check_listen(host: str, port: int) -> str | None:
    """Why `host:port` cannot be listened on (in use, not a local address ...), or None.

    Binds once without listening and lets go: serve asks before it builds anything, so a
    taken port is one line and exit 2, not a traceback after the first build."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError as exc:
        return f"cannot resolve {host!r}: {exc.strerror}"
    for family, kind, proto, _, address in infos:
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind(address)
            except OSError as exc:
                return f"cannot listen on {address[0]} port {port}: {exc.strerror}"
    return None


@dataclass(frozen=True)
class Hooks:
    """What the supervisor tells its caller, and asks it (see `supervise`)."""

    on_exit: Callable[[int], None]
    stopping: Callable[[], None]
    reload: Callable[[], bool]
    tick: Callable[[], None]
    reaped: Callable[[int, int], None]


def supervise(
    addresses: Sequence[tuple[str, int]],
    count: int,
    worker: Worker,
    announce: Callable[[Ports], None],
    on_exit: Callable[[int], None] = lambda pid: None,
    stopping: Callable[[], None] = lambda: None,
    reload: Callable[[], bool] = lambda: True,
    tick: Callable[[], None] = lambda: None,
    reaped: Callable[[int, int], None] = lambda pid, status: None,
) -> int:
    """Run `count` workers until SIGTERM/SIGINT (then `stopping()`); returns the exit status.
    `on_exit(pid)` is told of each worker that exited (the metrics drop its live gauges). On
    SIGHUP the workers are told only if `reload()` says so. `tick()` runs about once a second
    and `reaped(pid, status)` hears of any other child that exited (the watcher's keeper)."""
    reserved = [reserve_port(host, port) for host, port in addresses]
    signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
    workers = _Workers(worker, tuple(port for _, port in reserved), [s for s, _ in reserved])
    started = workers.start(count)
    for sock in workers.reserved:
        sock.close()
    if not started:
        _stop(workers.children, signal.SIGTERM)
        return 1
    announce(workers.ports)
    workers.watch(Hooks(on_exit, stopping, reload, tick, reaped))
    return 0


@dataclass
class _Workers:
    """The supervisor's workers: each one's slot by pid, and how to start one."""

    worker: Worker
    ports: Ports
    reserved: list[socket.socket]
    """The parent's sockets that hold the ports: a worker closes its copies."""
    children: dict[int, int] = field(default_factory=dict)
    _ready: int | None = None
    """The read end of the pipe the first workers say ready on, while they start."""

    def start(self, count: int) -> bool:
        """Fork `count` workers; True once every one accepts, False if one ended first."""
        self._ready, ready_w = os.pipe()
        for slot in range(count):
            self.spawn(slot, ready_w)
        os.close(ready_w)
        started = 0
        while started < count:
            got = os.read(self._ready, count - started)
            if not got:
                break
            started += len(got)
        os.close(self._ready)
        self._ready = None
        return started == count

    def spawn(self, slot: int, report: int | None) -> None:
        pid = os.fork()
        if pid == 0:
            if self._ready is not None:
                os.close(self._ready)
            for sock in self.reserved:
                sock.close()
            signal.pthread_sigmask(signal.SIG_UNBLOCK, SIGNALS)
            run_child(lambda: self.worker(self.ports, ready_once(report)), f"worker {slot}")
        self.children[pid] = slot

    def watch(self, hooks: Hooks) -> None:
        """Until every worker is gone: forward stop and reload signals, replace a worker
        that died (unless stopping), tick."""
        stopped = False
        while self.children:
            info = signal.sigtimedwait(SIGNALS, TICK)
            signo = info.si_signo if info is not None else None
            if signo in (signal.SIGTERM, signal.SIGINT):
                if not stopped:
                    hooks.stopping()
                stopped = True
                _forward(self.children, signal.SIGTERM)
            elif signo == signal.SIGHUP and hooks.reload():
                _forward(self.children, signal.SIGHUP)
            for pid, slot in _reap(self.children, hooks.reaped):
                hooks.on_exit(pid)
                if not stopped:
                    log.warning("worker %d (pid %d) exited; starting another", slot, pid)
                    self.spawn(slot, None)
            if not stopped:
                hooks.tick()


def _forward(children: dict[int, int], signum: int) -> None:
    for pid in list(children):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


def _reap(children: dict[int, int], other: Callable[[int, int], None]) -> list[tuple[int, int]]:
    """The workers that exited, as (pid, slot); any other child's end goes to `other`."""
    gone = []
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
        if pid in children:
            gone.append((pid, children.pop(pid)))
        else:
            other(pid, status)
    return gone


def _stop(children: dict[int, int], signum: int) -> None:
    _forward(children, signum)
    while children:
        pid, _ = os.waitpid(-1, 0)
        children.pop(pid, None)
