"""`snapfront tagged create|verify|list` with real reprepro, gpg, apt-get and faketime, on two
time-based snapshots archives (tests/tagged_support.py): the tag holds exactly the manifest's
packages, in every origin that had them, apt-get resolves and fetches exactly those versions
through snapfront, a year later too, and after the serials they came from are gone."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from snapfront import sample
from tests.apt_client import AptRoot
from tests.kill_support import Instant, kill_at
from tests.lifecycle_support import World, expire, snapshot_cli, tree_hash
from tests.support import running_server, with_listen
from tests.tagged_support import (
    ORIGINS,
    build_world,
    command,
    environment,
    manifest_text,
    tagged,
)

pytestmark = pytest.mark.live

TAG = "6.15.1"
BINARIES = {"hello": "1.0-1", "shared": "2.0-1", "sec": "1.10"}
SOURCES = {"hello": "1.0-1", "sec": "1.10"}


def _require(tool: str, package: str) -> None:
    assert shutil.which(tool), f"{tool} not found: apt-get install {package}"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build_world(tmp_path_factory.mktemp("tagged") / "host")


@pytest.fixture(scope="module")
def manifest(world) -> Path:
    path = world.dir / "tails.build-manifest"
    path.write_text(manifest_text(world))
    return path


@pytest.fixture(scope="module")
def created(world, manifest):
    result = tagged(world, "create", "/tagged/", TAG, str(manifest))
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def server(world, created):
    config = with_listen(world.config, "127.0.0.1:0", world.dir / "test.toml")
    with running_server(config) as running:
        yield running.url.rstrip("/")


def _apt(world, server: str, root: Path, sources: bool = True) -> AptRoot:
    lines = []
    for origin, codename in ORIGINS.items():
        url = f"{server}/tagged/{TAG}/{origin}/"
        lines.append(f"deb [signed-by={world.keyring}] {url} {codename} main")
        if sources:
            lines.append(f"deb-src [signed-by={world.keyring}] {url} {codename} main")
    return AptRoot(root, lines)


def _packages(world, origin: str) -> set[tuple[str, str]]:
    out = subprocess.run(
        ["reprepro", "-b", str(world.tagged / TAG / origin), "list", ORIGINS[origin]],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return {(line.split()[1], line.split()[2]) for line in out.splitlines()}


def test_create_puts_a_package_in_every_origin_that_had_it(world, created):
    assert _packages(world, "debian") == {("hello", "1.0-1"), ("shared", "2.0-1")}
    assert _packages(world, "debian-security") == {("shared", "2.0-1"), ("sec", "1.10")}
    out = created.stdout
    assert f"debian {world.serials[0]}: 3 packages (2 binary, 1 source)" in out
    assert f"debian-security {world.serials[0]}: 3 packages (2 binary, 1 source)" in out
    assert "suites: bookworm/updates main [amd64 source]" in out
    assert "debian-security: imported, " in out and f"published /tagged/{TAG}/" in out
    assert not [p.name for p in world.tagged.iterdir() if "partial" in p.name]


def test_apt_fetches_exactly_the_manifest_versions(world, server, tmp_path):
    apt = _apt(world, server, tmp_path / "apt")
    update = apt.run("update")
    assert update.returncode == 0 and not update.problems(), update.output
    for name in ("hello", "shared"):  # shared: in both origins at the serials, so in both tags
        print(f"apt-cache policy {name}, the tag's sources only:", apt.cache("policy", name))
    for name, version in BINARIES.items():
        assert apt.candidate(name) == version  # the newer hello 1.1-1 of the archive is not there
        got = apt.run("download", f"{name}={version}", cwd=tmp_path)
        assert got.returncode == 0, got.output
        assert (tmp_path / f"{name}_{version}_all.deb").is_file()
    for name, version in SOURCES.items():
        got = apt.run("source", "--download-only", f"{name}={version}", cwd=tmp_path)
        assert got.returncode == 0 and not got.problems(), got.output
        assert (tmp_path / f"{name}_{version}.dsc").is_file()


def test_no_valid_until_and_apt_a_year_later_still_updates(world, server, tmp_path):
    _require("faketime", "faketime")
    for origin, codename in ORIGINS.items():
        release = (world.tagged / TAG / origin / "dists" / codename / "InRelease").read_text()
        assert "Valid-Until" not in release and "Date:" in release
    apt = _apt(world, server, tmp_path / "apt", sources=False)
    env = {**os.environ, "APT_CONFIG": str(apt.root / "apt.conf"), "LC_ALL": "C.UTF-8"}
    later = subprocess.run(
        ["faketime", "-f", "+400d", "apt-get", "-q", "update"], capture_output=True,
        text=True, env=env, timeout=120,
    )  # fmt: skip
    output = later.stdout + later.stderr
    assert later.returncode == 0 and "expired" not in output and " E:" not in output, output
    assert apt.candidate("sec") == "1.10"


def test_list_and_verify(world, created, manifest):
    listed = tagged(world, "list", "/tagged/", "--json")
    assert listed.returncode == 0, listed.stderr
    (tag,) = json.loads(listed.stdout)["tags"]
    assert tag["tag"] == TAG
    rows = {row["origin"]: row for row in tag["origins"]}
    assert rows["debian-security"]["serials"] == [world.serials[0]]
    assert rows["debian-security"]["codenames"] == ["bookworm/updates"]
    assert rows["debian"]["packages"] == 3 and rows["debian"]["bytes"] > 0
    checked = tagged(world, "verify", "/tagged/", TAG, str(manifest))
    assert checked.returncode == 0 and "ok, 5 manifest entries" in checked.stdout, checked


def test_an_existing_tag_is_refused(world, created, manifest):
    again = tagged(world, "create", "/tagged/", TAG, str(manifest))
    assert again.returncode == 2 and "never replaced" in again.stderr


def test_an_entry_found_nowhere_publishes_nothing_and_dry_run_changes_nothing(world, created):
    extra = "  - {package: ghost, version: '9'}\n"  # appended to the source list
    path = world.dir / "ghost.build-manifest"
    path.write_text(manifest_text(world, extra))
    before = tree_hash(world.tagged)
    failed = tagged(world, "create", "/tagged/", "7.0", str(path))
    assert failed.returncode == 1, failed
    assert "missing: ghost 9 (source): in no origin" in failed.stdout
    assert "nothing published" in failed.stderr
    assert tree_hash(world.tagged) == before
    good = world.dir / "good.build-manifest"
    good.write_text(manifest_text(world))
    dry = tagged(world, "create", "/tagged/", "7.0", str(good), "--dry-run")
    assert dry.returncode == 0 and "dry run:" in dry.stdout, dry
    assert tree_hash(world.tagged) == before


def test_a_killed_create_leaves_no_partial_tag_and_the_next_cleans_up(world, server, manifest):
    record = world.tagged / ".snapfront" / "db" / "snapfront.intent"
    final, interrupted = world.tagged / "8.0", 0
    for delay in (0.01, 0.1, 0.3):
        cmd = command(world, "create", "/tagged/", "8.0", str(manifest))
        killed = kill_at(cmd, environment(world), Instant(delay, after_record=True), record)
        sample.stop_agent(world.gnupghome)
        for partial in world.tagged.glob(".8.0.partial-*"):  # hidden: never served
            assert final.exists() is False
            pool = next(partial.rglob("*.deb"), None) or partial / "debian" / "conf" / "updates"
            url = f"{server}/tagged/{pool.relative_to(world.tagged).as_posix()}"
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(url)
            assert refused.value.code in (403, 404)
        if final.exists():  # the kill came after the rename: all of it is there
            verified = tagged(world, "verify", "/tagged/", "8.0", str(manifest))
            assert verified.returncode == 0, verified
            shutil.rmtree(final)
        again = tagged(world, "create", "/tagged/", "8.0", str(manifest))
        assert again.returncode == 0, again.stderr
        if killed.exited is None and "interrupted tagged-create" in again.stderr:
            interrupted += 1
            assert "rolled back: removed .8.0.partial-" in again.stderr
        assert not list(world.tagged.glob(".*.partial-*")) and not record.exists()
        shutil.rmtree(final)
    assert interrupted, "no kill came while the create ran: the instants need a look"


def test_the_tag_outlives_the_serials_it_came_from(world, server, manifest):
    """Last: garbage-collects the archives' first serial."""
    first = world.serials[0]
    for origin, codename in ORIGINS.items():
        copy = World(world.dir, world.root(origin), world.config, world.keyring,
                     world.gnupghome, world.fingerprint, world.serials)  # fmt: skip
        expire(copy, first, dt.datetime.now(dt.UTC) - dt.timedelta(days=2), codenames=(codename,))
        gc = snapshot_cli(copy, "gc", f"/{origin}/", "--grace", "0")
        assert gc.returncode == 0, gc.stderr
        assert not (world.root(origin) / "dists" / codename / "snapshots" / first).exists()
    assert not list(world.root("debian").glob("pool/main/h/hello/hello_1.0-1*"))
    for origin in ORIGINS:
        for path in (world.tagged / TAG / origin / "pool").rglob("*"):
            if path.is_file():
                rel = path.relative_to(world.tagged).as_posix()
                with urllib.request.urlopen(f"{server}/tagged/{rel}") as response:
                    assert response.read() == path.read_bytes()
    checked = tagged(world, "verify", "/tagged/", TAG, str(manifest))
    assert checked.returncode == 0 and "note: debian: " in checked.stdout, checked
