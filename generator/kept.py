"""Which pool pages exist in the output, and what their directory looked like when rendered.

With `[pages] pool = "lazy"` a pool directory's page is written by whichever process first
needs it: a serving worker (on a request), the watcher or `snapfront build` (when it re-renders
one that changed). They share this record in OUTPUT/.snapfront/pool-pages.sqlite (sqlite from
the standard library: several processes write it safely, and a check reads only the rows of
pages that exist, never the pool). A row is URL → (mount URL, data directory relative to the
root, stamp); the stamp is the directory's (base.stamps), taken before it was scanned, and
the template salt, so a page whose directory gained, lost or renamed an entry, or whose
templates changed since, is known to be stale by one stat.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from snapfront.base.atomic import STATE_DIR
from snapfront.base.stamps import stat_stamp

FILE_NAME = "pool-pages.sqlite"
BUSY_SECONDS = 10.0
"""How long a writer waits for another process's write to finish (each one is a few rows)."""
_SCHEMA = """
CREATE TABLE IF NOT EXISTS kept (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    url TEXT NOT NULL UNIQUE,
    mount TEXT NOT NULL,
    rel TEXT NOT NULL,
    stamp TEXT NOT NULL
)
"""
END = "\U0010ffff"
"""Sorts after every character a URL holds: [prefix, prefix + END) is "starts with prefix"."""


@dataclass(frozen=True)
class KeptPage:
    url: str  # the page's URL path (percent-encoded, ending in "/")
    mount: str  # its mount's URL
    rel: str  # its data directory, relative to the mount's root
    stamp: str


def stamp_of(path: str, salt: str) -> str | None:
    """The directory's stamp now, or None when it is gone or no directory."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode):
        return None
    return ":".join(str(part) for part in (salt, *stat_stamp(st)))


class KeptPages:
    """The record of one output directory; one connection per process, used under a lock
    (a serving worker renders in its executor's threads)."""

    def __init__(self, output: str) -> None:
        self.path = os.path.join(output, STATE_DIR, FILE_NAME)
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._pid = 0

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._db is None or self._pid != os.getpid():  # a fork gets its own
                os.makedirs(os.path.dirname(self.path), exist_ok=True)
                db = sqlite3.connect(self.path, timeout=BUSY_SECONDS, check_same_thread=False)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.execute(_SCHEMA)
                self._db, self._pid = db, os.getpid()
            with self._db:  # one transaction, committed on leaving
                yield self._db

    def record(self, pages: Iterable[KeptPage]) -> None:
        rows = [(p.url, p.mount, p.rel, p.stamp) for p in pages]
        if rows:
            with self._connection() as db:
                db.executemany(
                    "INSERT OR REPLACE INTO kept (url, mount, rel, stamp) VALUES (?, ?, ?, ?)",
                    rows,
                )

    def under(self, mount: str, prefix: str) -> list[KeptPage]:
        """The kept pages of `mount` whose URL starts with `prefix`."""
        with self._connection() as db:
            found = db.execute(
                "SELECT url, mount, rel, stamp FROM kept WHERE mount = ? AND url >= ? AND url < ?",
                (mount, prefix, prefix + END),
            ).fetchall()
        return [KeptPage(*row) for row in found]

    def since(self, last: int) -> tuple[int, list[KeptPage]]:
        """Rows written (or rewritten) after row id `last`, and the newest id."""
        with self._connection() as db:
            found = db.execute(
                "SELECT id, url, mount, rel, stamp FROM kept WHERE id > ? ORDER BY id", (last,)
            ).fetchall()
        newest = found[-1][0] if found else last
        return newest, [KeptPage(*row[1:]) for row in found]

    def forget(self, urls: Iterable[str]) -> None:
        gone = [(url,) for url in urls]
        if gone:
            with self._connection() as db:
                db.executemany("DELETE FROM kept WHERE url = ?", gone)

    def forget_under(self, mount: str, prefix: str) -> None:
        with self._connection() as db:
            db.execute(
                "DELETE FROM kept WHERE mount = ? AND url >= ? AND url < ?",
                (mount, prefix, prefix + END),
            )

    def retain(self, mounts: Iterable[str]) -> None:
        """Forget the pages of mounts no longer configured (their files are pruned too)."""
        kept = list(mounts)
        marks = ",".join("?" * len(kept))
        with self._connection() as db:
            db.execute(f"DELETE FROM kept WHERE mount NOT IN ({marks})", kept)

    def clear(self) -> None:
        """Forget everything: eager mode keeps every page current itself."""
        if os.path.exists(self.path):
            with self._connection() as db:
                db.execute("DELETE FROM kept")

    def close(self) -> None:
        with self._lock:
            if self._db is not None and self._pid == os.getpid():
                self._db.close()
            self._db = None
