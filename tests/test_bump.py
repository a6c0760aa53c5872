"""`snapshot bump` on an expired serial, seen by real apt-get through snapfront and through a
real Varnish that had cached the expired InRelease; refusals that change nothing.

The serial is expired by this test's own gpg calls (independent of lifecycle.signing): its
Valid-Until rewritten into the past, InRelease and Release.gpg signed again by hand.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from snapfront import sample
from snapfront.lifecycle.release_text import DAY, parse_date, release_date
from tests.apt_client import AptRoot
from tests.cdn import free_port, running_varnish
from tests.edge import Edge, LogTail, edge_config
from tests.snapshot_cli import snapshot
from tests.support import running_server
from tests.test_apt import pool_file, require_apt
from tests.test_varnish import hit

pytestmark = pytest.mark.system


DATE = re.compile(rb"^Date: .*$", re.MULTILINE)
VALID_UNTIL = re.compile(rb"^Valid-Until: .*$", re.MULTILINE)
CODENAMES = ("bookworm", "jessie/updates")


@dataclass
class Front:
    edge: Edge
    config: Path  # the host's config with [[cdn]] naming the Varnish


@pytest.fixture(scope="module")
def front(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Front]:
    """A host of its own behind Varnish, served with --no-watch: only the bump's own purge
    (as the CLI does it) can make Varnish drop an InRelease, not the watcher's."""
    directory = tmp_path_factory.mktemp("bump")
    host = sample.build_sample_host(directory / "host")
    port = free_port()
    config = edge_config(host, "edge", port)
    with running_server(config, "--no-watch") as server:
        origin_port = urlsplit(server.url).port
        assert origin_port is not None
        with running_varnish(directory / "cache", origin_port, port) as cache:
            yield Front(Edge(host, server, cache, LogTail(server.log)), config)


def snapshot_dir(host: sample.SampleHost, codename: str, serial: str) -> Path:
    return host.snapshots_root / "dists" / codename / "snapshots" / serial


def gpg(gnupghome: Path, key: str, *args: str) -> None:
    env = {**os.environ, "GNUPGHOME": str(gnupghome), "LC_ALL": "C.UTF-8"}
    batch = ["gpg", "--batch", "--yes", "--no-tty", "--local-user", key, "--digest-algo", "SHA256"]
    subprocess.run([*batch, *args], env=env, check=True, capture_output=True)


def expire(host: sample.SampleHost, serial: str) -> None:
    """Valid-Until a day in the past, Date two; signed by hand with gpg, not with snapfront."""
    now = int(time.time())
    for codename in CODENAMES:
        folder = snapshot_dir(host, codename, serial)
        text = (folder / "Release").read_bytes()
        text = DATE.sub(f"Date: {release_date(now - 2 * DAY)}".encode(), text)
        text = VALID_UNTIL.sub(f"Valid-Until: {release_date(now - DAY)}".encode(), text)
        (folder / "Release").write_bytes(text)
        release = str(folder / "Release")
        gpg(
            host.gnupghome,
            host.fingerprint,
            "--clearsign",
            "--output",
            str(folder / "InRelease"),
            release,
        )
        gpg(
            host.gnupghome,
            host.fingerprint,
            "--armor",
            "--detach-sign",
            "--output",
            release + ".gpg",
            release,
        )
    sample.stop_agent(host.gnupghome)


def gpgv(keyring: Path, *files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["gpgv", "--keyring", str(keyring), *map(str, files)], capture_output=True, text=True
    )


def tree_digest(root: Path) -> str:
    """Every path, mode and byte under `root` (db/ and conf/ included)."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        digest.update(f"{path.relative_to(root)} {st.st_mode:o}\n".encode())
        if path.is_file() and not path.is_symlink():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def apt_ok(apt: AptRoot, where: Path) -> str:
    """`apt-get update` then `download hello` succeed; what apt printed."""
    update = apt.run("update")
    assert update.returncode == 0 and update.problems() == [], update.output
    download = apt.run("download", "hello", cwd=where)
    assert download.returncode == 0 and download.problems() == [], download.output
    return update.output + download.output


def test_expired_serial_is_refused_by_apt_then_bumped_and_seen_through_varnish(
    front: Front, tmp_path: Path
) -> None:
    require_apt()
    edge = front.edge
    host, serial = edge.host, edge.host.serials[0]
    expire(host, serial)
    url = f"/debian/{serial}/dists/bookworm/InRelease"
    expired = edge.cache.fetch(url)
    cached_at = time.monotonic()  # Varnish holds it for max-age=120 from about now
    assert b"Valid-Until: " in expired.body and hit(edge.cache.fetch(url))
    signed = f"[signed-by={host.keyring}]"
    line = f"{serial}/ bookworm main"
    through = {
        "varnish": AptRoot(
            tmp_path / "apt-varnish", [f"deb {signed} {edge.cache.url}/debian/{line}"]
        ),
        "origin": AptRoot(tmp_path / "apt-origin", [f"deb {signed} {edge.origin}/debian/{line}"]),
    }
    for name, apt in through.items():
        update = apt.run("update")
        print(f"apt-get update through {name}, expired:\n{update.output}")
        update.saw("expired")
        assert apt.candidate("hello") == "", update.output
    before = {c: (snapshot_dir(host, c, serial) / "Release").read_bytes() for c in CODENAMES}
    component = snapshot_dir(host, "bookworm", serial) / "main/binary-amd64/Release"
    component_before = component.read_bytes()
    started = int(time.time())
    before_bump = edge.cache.fetch(url)
    assert hit(before_bump) and before_bump.body == expired.body  # Varnish still has the old

    done = snapshot(
        front.config, "bump", "/debian/", serial, "--days", "30", gnupghome=host.gnupghome
    )

    assert done.returncode == 0, done.stderr
    after_bump = edge.cache.fetch(url)  # before anything else asks: only the purge explains it
    held = time.monotonic() - cached_at
    assert after_bump.body == (snapshot_dir(host, "bookworm", serial) / "InRelease").read_bytes()
    assert after_bump.body != expired.body and not hit(after_bump), after_bump.headers
    assert after_bump.header("Cache-Control") == "public, max-age=120"
    assert held < 60, f"{held:.0f} s: too close to max-age=120 to tell a purge from expiry"
    print(f"Varnish: HIT with the expired InRelease, then a MISS with the bumped one "
          f"{held:.1f} s after it was cached (max-age=120)")  # fmt: skip
    assert len(done.stdout.splitlines()) == len(CODENAMES), done.stdout
    for name, apt in through.items():
        where = tmp_path / name
        where.mkdir()
        print(f"after bump, through {name}:\n{apt_ok(apt, where)}")
        assert apt.candidate("hello") == "1.0-1"
        (deb,) = where.glob("hello_*.deb")
        assert (
            deb.read_bytes() == pool_file(host.snapshots_root, "hello_1.0-1_all.deb").read_bytes()
        )
    assert (
        edge.cache.fetch(url).body
        == (snapshot_dir(host, "bookworm", serial) / "InRelease").read_bytes()
    )
    for codename in CODENAMES:
        folder = snapshot_dir(host, codename, serial)
        inrelease = gpgv(host.keyring, folder / "InRelease")
        assert inrelease.returncode == 0, inrelease.stderr
        detached = gpgv(host.keyring, folder / "Release.gpg", folder / "Release")
        assert detached.returncode == 0, detached.stderr
        new = (folder / "Release").read_bytes()
        old_lines, new_lines = before[codename].split(b"\n"), new.split(b"\n")
        differ = [(a, b) for a, b in zip(old_lines, new_lines, strict=True) if a != b]
        assert [a.split(b":")[0] for a, b in differ] == [b"Date", b"Valid-Until"]
        until = re.search(rb"^Valid-Until: (.*)$", new, re.MULTILINE)
        assert until is not None
        assert started + 30 * DAY <= parse_date(until[1].decode()) <= time.time() + 30 * DAY
    assert component.read_bytes() == component_before  # per-component Release untouched


@pytest.mark.parametrize(
    ("args", "gnupg", "says"),
    [
        (("2001010199",), "host", "unknown serial 2001010199"),
        (("SERIAL", "2001010199"), "host", "unknown serial 2001010199"),
        (("SERIAL",), "empty", "no secret key"),
        (("SERIAL", "--days", "0"), "host", "--days must be a positive integer"),
    ],
    ids=["unknown-serial", "one-of-two-unknown", "missing-key", "days-0"],
)
def test_refusals_change_nothing(
    front: Front, tmp_path: Path, args: tuple[str, ...], gnupg: str, says: str
) -> None:
    host = front.edge.host
    home = host.gnupghome
    if gnupg == "empty":
        home = tmp_path / "g"
        home.mkdir(mode=0o700)
    args = tuple(host.serials[1] if a == "SERIAL" else a for a in args)
    if "--days" not in args:
        args += ("--days", "30")
    before = tree_digest(host.snapshots_root)

    done = snapshot(front.config, "bump", "/debian/", *args, gnupghome=home)

    assert done.returncode == 2 and done.stdout == "", done
    assert says in done.stderr and len(done.stderr.splitlines()) == 1, done.stderr
    assert tree_digest(host.snapshots_root) == before
