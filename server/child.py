"""The end of a job forked from serve (a serving worker, the watcher): what escapes it is
logged, its output flushed, and it leaves by `os._exit` with its status, never through the
parent's stack (the parent's `finally` blocks, atexit handlers and event loop are not its own).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from typing import NoReturn

log = logging.getLogger("snapfront")


def run_child(job: Callable[[], int], name: str) -> NoReturn:
    """In a forked child: run `job` and exit with its status (1 if it raised)."""
    status = 1
    try:
        status = job()
    except BaseException:
        log.exception("%s failed", name)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def ready_once(fd: int | None) -> Callable[[], None]:
    """The child's `ready()`: one byte on the pipe its parent reads, which it then closes
    (None: nobody waits, as for a replacement worker)."""

    def ready() -> None:
        if fd is not None:
            os.write(fd, b".")
            os.close(fd)

    return ready
