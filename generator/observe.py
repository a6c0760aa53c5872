"""watchdog glue: which directories of a mount are watched, and how, and whether they still are.

Events become plain `(path, is_dir, structural)` calls on a sink; opens and read-only closes
are never asked for (the generator reads the roots itself and must not hear its own reads).
A snapshots mount watches only dists/, conf/ and project/ (a Debian pool has tens of
thousands of directories; the pool pages follow each new serial and every rescan).

inotify needs one watch per directory, capped per user by fs.inotify.max_user_watches. A mount
that would not fit (or whose watches fail with ENOSPC) is polled instead, after a warning that
names the sysctl and the number needed, rather than watched with holes. `check` notices a
watched directory that disappeared, came back or was replaced (rsync --delete, a remount):
watchdog says nothing then, so its mount is rescanned.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass

from watchdog import events
from watchdog.events import (
    EVENT_TYPE_CREATED,
    EVENT_TYPE_DELETED,
    EVENT_TYPE_MOVED,
    DirCreatedEvent,
    DirDeletedEvent,
    DirModifiedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch
from watchdog.observers.polling import PollingObserver

from snapfront.rewrite_rules import Mount, MountKind
from snapfront.rewrite_rules.resolve import DISTS, TRACE_DIR

from .plan import CONF

log = logging.getLogger("snapfront.watch")

EVENTS: list[type[FileSystemEvent]] = [
    FileCreatedEvent, FileDeletedEvent, FileModifiedEvent, FileMovedEvent, FileClosedEvent,
    DirCreatedEvent, DirDeletedEvent, DirModifiedEvent, DirMovedEvent,
]  # fmt: skip
# watchdog 7 reports IN_ATTRIB (touch, chmod) as File/DirAttribEvent; 6 (Debian 13) has no such
# class and reports it as a *ModifiedEvent, already in the list.
EVENTS += [getattr(events, name) for name in ("FileAttribEvent", "DirAttribEvent")
           if hasattr(events, name)]  # fmt: skip
STRUCTURAL = frozenset({EVENT_TYPE_CREATED, EVENT_TYPE_DELETED, EVENT_TYPE_MOVED})
POLL_SECONDS = 2.0
"""How often a polled mount is compared with its last snapshot (it stats every file)."""
WATCH_LIMIT = "/proc/sys/fs/inotify/max_user_watches"
OVERFLOW_LOGGERS = ("watchdog.observers.inotify_c", "watchdog.observers.inotify")
"""Where watchdog (7.x) reports IN_Q_OVERFLOW, as a log record and nothing else."""

Sink = Callable[[str, bool, bool], None]
"""sink(absolute path, is a directory, created/deleted/moved)"""
Identity = tuple[int, int] | None


def watch_paths(mount: Mount) -> list[tuple[str, bool]]:
    """(directory under the root, recursive) to watch for `mount`."""
    if mount.kind is MountKind.SNAPSHOTS:
        return [("", False), (DISTS, True), (CONF, True), (TRACE_DIR[0], True)]
    return [("", True)]


class Handler(FileSystemEventHandler):
    def __init__(self, sink: Sink) -> None:
        self.sink = sink

    def on_any_event(self, event: FileSystemEvent) -> None:
        structural = event.event_type in STRUCTURAL
        self.sink(os.fsdecode(event.src_path), event.is_directory, structural)
        if event.event_type == EVENT_TYPE_MOVED and event.dest_path:
            self.sink(os.fsdecode(event.dest_path), event.is_directory, True)


def fits(needed: int, in_use: int, limit: int) -> bool:
    return in_use + needed <= limit


def limit_warning(root: str, needed: int, in_use: int, limit: int) -> str:
    return (
        f"{root}: inotify watch limit reached: watching it needs {needed} watches and "
        f"{in_use} of fs.inotify.max_user_watches = {limit} are in use; raise it to at least "
        f"{in_use + needed} (sysctl -w fs.inotify.max_user_watches={2 * (in_use + needed)}). "
        f"Polling {root} every {POLL_SECONDS:g} s meanwhile."
    )


@dataclass
class _Scheduled:
    mount: Mount
    path: str
    recursive: bool
    identity: Identity
    watch: ObservedWatch | None
    observer: BaseObserver


class _Overflow(logging.Handler):
    """watchdog logs the kernel's queue overflow (events were lost) but tells no event handler:
    this turns that log record into a call, so the watcher rescans at once."""

    def __init__(self, observers: Observers) -> None:
        super().__init__(logging.WARNING)
        self.observers = observers

    def emit(self, record: logging.LogRecord) -> None:
        if "overflow" in record.getMessage():
            self.observers.on_lost()


class Observers:
    """inotify for every mount that fits within the watch limit, polling for the others.

    `on_lost` is called (from a watchdog thread) when the kernel dropped events."""

    def __init__(
        self,
        sink: Sink,
        inotify: Callable[[], BaseObserver] = Observer,
        polling: Callable[[], BaseObserver] = lambda: PollingObserver(timeout=POLL_SECONDS),
    ) -> None:
        self.handler = Handler(sink)
        self.inotify = inotify()
        self._polling_factory = polling
        self.polling: BaseObserver | None = None
        self.scheduled: list[_Scheduled] = []
        self.polled: set[str] = set()  # mount URLs
        self._in_use: int | None = None
        self.on_lost: Callable[[], None] = lambda: None
        self._overflow = _Overflow(self)
        for name in OVERFLOW_LOGGERS:
            logging.getLogger(name).addHandler(self._overflow)

    def start(self, mounts: tuple[Mount, ...]) -> None:
        self.inotify.start()
        for mount in mounts:
            self._watch(mount)

    def stop(self) -> None:
        # watchdog logs an error when an emitter thread wakes after its stop: it means nothing
        noisy = logging.getLogger("watchdog.observers.inotify")
        level = noisy.level
        noisy.setLevel(logging.CRITICAL)
        try:
            for observer in (self.inotify, self.polling):
                if observer is not None and observer.is_alive():
                    observer.stop()
                    observer.join(timeout=5)
        finally:
            noisy.setLevel(level)
            for name in OVERFLOW_LOGGERS:
                logging.getLogger(name).removeHandler(self._overflow)

    def observers(self) -> list[BaseObserver]:
        return [o for o in (self.inotify, self.polling) if o is not None]

    def _watch(self, mount: Mount) -> None:
        if mount.url not in self.polled:
            needed = sum(
                _directories(os.path.join(mount.root, p), r) for p, r in watch_paths(mount)
            )
            limit = _read_int(WATCH_LIMIT)
            if self._in_use is None:
                self._in_use = watches_in_use()
            if limit is not None and not fits(needed, self._in_use, limit):
                log.warning(limit_warning(mount.root, needed, self._in_use, limit))
                self.polled.add(mount.url)
            else:
                try:
                    self._schedule(mount, self.inotify)
                    self._in_use += needed
                    return
                except OSError as exc:
                    if exc.errno not in (errno.ENOSPC, errno.EMFILE):
                        raise
                    self._unschedule(mount)
                    log.warning(limit_warning(mount.root, needed, self._in_use, limit or 0))
                    self.polled.add(mount.url)
        if self.polling is None:
            self.polling = self._polling_factory()
            self.polling.start()
        self._schedule(mount, self.polling)

    def _schedule(self, mount: Mount, observer: BaseObserver) -> None:
        for rel, recursive in watch_paths(mount):
            path = os.path.join(mount.root, rel) if rel else mount.root
            identity = _identity(path)
            watch = None
            if identity is not None:
                watch = observer.schedule(
                    self.handler, path, recursive=recursive, event_filter=EVENTS
                )
            self.scheduled.append(_Scheduled(mount, path, recursive, identity, watch, observer))

    def _unschedule(self, mount: Mount) -> None:
        for item in [s for s in self.scheduled if s.mount is mount]:
            if item.watch is not None:
                item.observer.unschedule(item.watch)
            self.scheduled.remove(item)

    def check(self) -> set[str]:
        """Re-watch directories that disappeared, came back or were replaced; the URLs of the
        mounts whose events may have been lost meanwhile."""
        lost: set[str] = set()
        for item in self.scheduled:
            if not item.observer.is_alive():
                continue  # stopped (shutting down): nothing to re-watch with
            now = _identity(item.path)
            if now == item.identity and (now is None or _alive(item)):
                continue
            if item.watch is not None:
                with contextlib.suppress(KeyError):  # already gone with its emitter
                    item.observer.unschedule(item.watch)
                item.watch = None
            item.identity = now
            if now is not None:
                item.watch = item.observer.schedule(
                    self.handler, item.path, recursive=item.recursive, event_filter=EVENTS
                )
                log.info("watching %s again", item.path)
            else:
                log.warning("%s disappeared; its pages stay until it is back", item.path)
            lost.add(item.mount.url)
        return lost


def _alive(item: _Scheduled) -> bool:
    """False once watchdog gave up on the watch (its directory was deleted under it)."""
    emitters = getattr(item.observer, "emitters", None)
    if item.watch is None or emitters is None:
        return True
    return any(e.watch == item.watch and e.is_alive() for e in emitters)


def _identity(path: str) -> Identity:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if os.path.isdir(path) else None


def _directories(path: str, recursive: bool) -> int:
    """How many inotify watches watching `path` takes (watchdog follows no symlink either)."""
    if not os.path.isdir(path):
        return 0
    if not recursive:
        return 1
    return sum(1 for _ in os.walk(path))


def _read_int(path: str) -> int | None:
    try:
        with open(path) as fh:
            return int(fh.read().strip())
    except (OSError, ValueError):
        return None


def watches_in_use() -> int:
    """inotify watches held by this user's processes now (what counts against the limit)."""
    uid, total = os.getuid(), 0
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        try:
            if os.stat(f"/proc/{pid}").st_uid != uid:
                continue
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") != "anon_inode:inotify":
                    continue
                with open(f"/proc/{pid}/fdinfo/{fd}") as fh:
                    total += sum(1 for line in fh if line.startswith("inotify wd:"))
            except OSError:
                continue
    return total
