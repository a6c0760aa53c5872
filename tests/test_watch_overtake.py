"""A new serial's trace overtakes a long rebuild under way (issue 14: new serial → trace and
archive page served within 1 s).

Build tools poll the trace, so a serial published while the watcher renders thousands of pages
(a release tree moved in, the pool pages after the serial before) must not wait for them: the
build stops after the page it is writing, the trace and archive page are written, then the
rest, and nothing is left stale. The watcher on a thread of this process, real files."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest

from snapfront import sample
from snapfront.base.config import load
from snapfront.generator.build import build
from tests.test_watch import until, watching

pytestmark = pytest.mark.live


BULK_DIRS = 3000
QUIET = 0.2
CODENAMES = ("bookworm", "jessie/updates")


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> sample.SampleHost:
    built = sample.build_sample_host(tmp_path_factory.mktemp("overtake") / "host")
    for i in range(BULK_DIRS):  # a release tree, staged outside the root
        folder = built.dir / "staged" / "bulk" / f"d{i}"
        folder.mkdir(parents=True)
        (folder / f"tool-{i}.tar.gz").write_bytes(b"not a real tarball")
    for codename in CODENAMES:  # complete, signed snapshots of every codename
        source = snapshot_dir(built, codename, built.serials[1])
        shutil.copytree(source, built.dir / "staged" / "serial" / codename)
    time.sleep(QUIET * 3)  # settled
    return built


def snapshot_dir(host: sample.SampleHost, codename: str, serial: str) -> Path:
    return host.snapshots_root / "dists" / codename / "snapshots" / serial


def trace_serial(host: sample.SampleHost) -> str:
    try:
        text = (host.output / "debian" / "project" / "trace" / "debian").read_text()
    except OSError:
        return ""
    found = re.search(r"^Archive serial: (\d+)$", text, re.M)
    return found.group(1) if found else ""


def bulk_pages(host: sample.SampleHost) -> int:
    try:
        return sum(1 for e in os.scandir(host.output / "bulk") if e.is_dir())
    except OSError:
        return 0


def test_a_new_serial_is_named_while_thousands_of_pages_are_rendered(
    host: sample.SampleHost,
) -> None:
    serial = f"{host.serials[1][:8]}40"
    with watching(host, quiet=QUIET, max_wait=5.0, rescan=600) as watcher:
        os.rename(host.dir / "staged" / "bulk", host.files_root / "bulk")
        until(lambda: bulk_pages(host) > 0)  # its pages are being rendered
        for codename in CODENAMES:  # the serial is taken once the last one is there
            os.rename(
                host.dir / "staged" / "serial" / codename, snapshot_dir(host, codename, serial)
            )
        written = time.monotonic()
        until(lambda: trace_serial(host) == serial)
        waited, pages = time.monotonic() - written, bulk_pages(host)
        until(lambda: bulk_pages(host) == BULK_DIRS, 60)  # then the rest
        until(lambda: watcher.pending_since() is None and not watcher.batch.left)
        archive_page = (host.output / "debian" / "index.html").read_text()
    assert pages < BULK_DIRS, "the trace waited for the whole release tree"
    assert waited < QUIET + 0.5, waited
    assert f'href="{serial}/"' in archive_page
    report = build(load(str(host.config)))  # the watcher left nothing stale, pruned nothing
    assert (report.written, report.removed) == (0, 0), report.summary()
