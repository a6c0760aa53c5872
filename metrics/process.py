"""The multiprocess directory: one fresh private one per `snapfront serve`, removed at exit.

prometheus_client decides at import whether values live in per-process mmap files, by
PROMETHEUS_MULTIPROC_DIR: so `prepare()` runs before the watcher and the workers fork and
before anything imports prometheus_client. A directory inherited through the environment is
never reused: another program's files would be added to ours.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator

ENV = "PROMETHEUS_MULTIPROC_DIR"


@contextlib.contextmanager
def multiprocess_dir() -> Iterator[str]:
    """Set up an empty directory for the duration of serving, then remove it."""
    if "prometheus_client" in sys.modules:  # its value class is fixed already: a wiring bug
        raise RuntimeError("prometheus_client was imported before its multiprocess dir was set")
    path = tempfile.mkdtemp(prefix="snapfront-metrics-")
    previous = os.environ.get(ENV)
    os.environ[ENV] = path
    try:
        yield path
    finally:
        if previous is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = previous
        shutil.rmtree(path, ignore_errors=True)


def mark_dead(pid: int) -> None:
    """A worker exited: drop its live gauges (open connections); its counters stay counted."""
    if os.environ.get(ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
