"""The Hash Sum mismatch, measured: a plain repository re-exported under a real Varnish.

Each cycle adds a new version with reprepro and exports, waits for snapfront's purge batch,
then runs real `apt-get update` and `download` through the cache, which still holds the
previous cycle's InRelease and Packages. With purging: no mismatch, no error, the new version
every time. The negative control shows what purging prevents: with it off, a cache warmed
with the old InRelease hands APT an InRelease that does not match the new Packages.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from snapfront import sample
from tests.apt_client import AptRoot
from tests.edge import Edge, edge_behind_varnish
from tests.support import fetch
from tests.test_apt import pool_file, require_apt

pytestmark = pytest.mark.system


CYCLES = 20
CODENAME = "bookworm-mediawiki"
PACKAGE = "mediawiki-tools"
INRELEASE = f"/apt/dists/{CODENAME}/InRelease"
SOURCE = f"/apt/ {CODENAME}"


@dataclass
class Figures:
    """What a loop measured; `mismatches` counts cycles whose output names one."""

    cycles: int = 0
    mismatches: int = 0
    errors: int = 0
    stale: int = 0
    problems: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{self.cycles} cycles: {self.mismatches} Hash Sum mismatches, {self.errors} "
            f"failed updates or downloads, {self.stale} cycles without the new version"
        )


def export_version(edge: Edge, work: Path, version: str) -> None:
    """What a repository operator does: include a new build, then export the indexes.

    Each export starts in a second of its own: APT keeps the lists it has when a new Release
    carries the same `Date:` (whole seconds), which would look like a stale cache.
    """
    folder = work / version
    folder.mkdir(parents=True)
    deb = sample.make_deb(folder, PACKAGE, version)
    time.sleep(1 - time.time() % 1)
    edge.reprepro("--export=never", "includedeb", CODENAME, str(deb))
    edge.reprepro("export", CODENAME)


def apt_cycle(edge: Edge, apt: AptRoot, version: str, work: Path, figures: Figures) -> None:
    """One `apt-get update` + `download` through the cache, tallied into `figures`."""
    figures.cycles += 1
    update = apt.run("update")
    mismatch = "Hash Sum mismatch" in update.output or "unexpected size" in update.output
    figures.mismatches += mismatch
    figures.errors += update.returncode != 0 or bool(update.problems())
    figures.problems += update.problems()
    if apt.candidate(PACKAGE) != version:
        figures.stale += 1
        return
    download = apt.run("download", f"{PACKAGE}={version}", cwd=work)
    if download.returncode != 0 or download.problems():
        figures.errors += 1
        figures.problems += download.problems()
        return
    (deb,) = work.glob(f"{PACKAGE}_*.deb")
    served = pool_file(edge.host.repository_root, deb.name)
    assert hashlib.sha256(deb.read_bytes()).digest() == hashlib.sha256(served.read_bytes()).digest()
    deb.unlink()


def run_loop(edge: Edge, tmp: Path, cycles: int, settle: Callable[[Edge, str], None]) -> Figures:
    """`cycles` exports, each followed by `settle` (wait for the purge, or for the origin)."""
    apt = edge.apt(tmp / "apt", SOURCE)
    figures = Figures()
    warm = apt.run("update")  # the cache now holds this InRelease and its Packages
    assert warm.returncode == 0 and warm.problems() == [], warm.output
    for cycle in range(cycles):
        version = f"1.{cycle + 1}-1"
        edge.log.skip()
        export_version(edge, tmp / "debs", version)
        settle(edge, version)
        apt_cycle(edge, apt, version, tmp, figures)
    return figures


def purged(edge: Edge, version: str) -> None:
    edge.log.wait_for_purge()


def origin_has(edge: Edge, version: str) -> None:
    """Without purging there is no line to wait for: wait until the origin serves the export."""
    packages = f"/apt/dists/{CODENAME}/main/binary-amd64/Packages"
    deadline = time.monotonic() + 10
    while f"Version: {version}\n".encode() not in fetch(edge.origin + packages).body:
        assert time.monotonic() < deadline, f"the origin never served {version}"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def purging(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    with edge_behind_varnish(tmp_path_factory.mktemp("mismatch")) as edge:
        yield edge


def test_no_mismatch_with_purging(purging: Edge, tmp_path: Path) -> None:
    require_apt()
    figures = run_loop(purging, tmp_path, CYCLES, purged)
    print(f"\nwith purging: {figures}")
    assert (figures.cycles, figures.mismatches, figures.errors, figures.stale) == (
        CYCLES, 0, 0, 0
    ), figures.problems  # fmt: skip


def test_negative_control_without_purging(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    """Purging off, Varnish warmed with the old InRelease only: APT must notice."""
    require_apt()
    with edge_behind_varnish(tmp_path_factory.mktemp("nopurge"), purge=False) as edge:
        old = edge.cache.fetch(INRELEASE)
        assert old.status == 200
        export_version(edge, tmp_path / "debs", "2.0-1")
        origin_has(edge, "2.0-1")
        assert edge.cache.fetch(INRELEASE).body == old.body  # still the old one
        apt = edge.apt(tmp_path / "apt", SOURCE)
        update = apt.run("update")  # old InRelease from the cache, new Packages from snapfront
        assert update.returncode != 0, update.output
        update.saw("hash sum mismatch")
        assert apt.candidate(PACKAGE) != "2.0-1"
