"""`snapshot resign --all` after a key rotation: a new key, `SignWith:` names it, the published
keyring holds it; APT with the new keyring accepts every old serial, APT with only the old one
refuses them. Release stays byte for byte; until the mount's keyring has the new key, resign
refuses and changes nothing."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from snapfront import sample
from tests.apt_client import AptResult, AptRoot
from tests.lifecycle_support import (
    World,
    recorded_purges,
    snapshot_cli,
    stop_agent,
    tree_hash,
)
from tests.snapshot_cli import snapshot
from tests.support import Running, running_server, with_listen
from tests.test_apt import require_apt
from tests.test_bump import CODENAMES, snapshot_dir, tree_digest

pytestmark = pytest.mark.live


@dataclass
class Served:
    host: sample.SampleHost
    server: Running
    config: Path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    host = sample.build_sample_host(tmp_path_factory.mktemp("resign") / "host")
    config = with_listen(host.config, "127.0.0.1:0", host.dir / "resign.toml")
    with running_server(config, "--no-watch") as server:
        yield Served(host, server, config)


def export(gnupghome: Path, dest: Path, *fingerprints: str) -> Path:
    """A binary keyring at `dest` with the public keys `fingerprints`, as apt reads it."""
    env = {**os.environ, "GNUPGHOME": str(gnupghome), "LC_ALL": "C.UTF-8"}
    subprocess.run(
        ["gpg", "--batch", "--yes", "--output", str(dest), "--export", *fingerprints],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    return dest


def verifies(ring: Path, folder: Path) -> tuple[bool, bool]:
    """(InRelease, Release.gpg + Release) verify with `ring`."""
    return tuple(
        subprocess.run(["gpgv", "--keyring", str(ring), *map(str, files)],
                       capture_output=True).returncode == 0
        for files in ([folder / "InRelease"], [folder / "Release.gpg", folder / "Release"])
    )  # type: ignore[return-value]  # fmt: skip


def apt_update(served: Served, root: Path, keyring: Path) -> AptResult:
    lines = [
        f"deb [signed-by={keyring}] {served.server.url}debian/{serial}/ {codename} main"
        for serial in served.host.serials
        for codename in CODENAMES
    ]
    return AptRoot(root, lines).run("update")


def test_resign_all_after_key_rotation(served: Served, tmp_path: Path) -> None:
    require_apt()
    host = served.host
    old_ring = export(host.gnupghome, tmp_path / "old.gpg", host.fingerprint)
    before = apt_update(served, tmp_path / "apt-before", old_ring)
    assert before.returncode == 0 and "W:" not in before.output, before.output
    new_fpr = sample.make_key(host.gnupghome)
    new_ring = export(host.gnupghome, tmp_path / "new.gpg", new_fpr)
    sample.stop_agent(host.gnupghome)
    conf = host.snapshots_root / "conf" / "distributions"
    conf.write_text(conf.read_text().replace(host.fingerprint, new_fpr))
    releases = {
        (s, c): (snapshot_dir(host, c, s) / "Release").read_bytes()
        for s in host.serials
        for c in CODENAMES
    }

    before = tree_digest(host.snapshots_root)
    refused = snapshot(served.config, "resign", "/debian/", "--all", gnupghome=host.gnupghome)
    assert refused.returncode == 2, refused  # the published keyring lacks the new key
    assert "does not verify" in refused.stderr and len(refused.stderr.splitlines()) == 1
    assert tree_digest(host.snapshots_root) == before

    host.keyring.write_bytes(new_ring.read_bytes())  # publish the new key first
    done = snapshot(served.config, "resign", "/debian/", "--all", gnupghome=host.gnupghome)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == len(releases), done.stdout

    for (serial, codename), release in releases.items():
        folder = snapshot_dir(host, codename, serial)
        assert (folder / "Release").read_bytes() == release
        assert verifies(new_ring, folder) == (True, True), folder
        assert verifies(old_ring, folder) == (False, False), folder
    new = apt_update(served, tmp_path / "apt-new", new_ring)
    print(f"apt-get update with the new keyring after resign --all:\n{new.output}")
    assert new.returncode == 0 and new.problems() == [], new.output
    old = apt_update(served, tmp_path / "apt-old", old_ring)
    print(f"apt-get update with only the old keyring after resign --all:\n{old.output}")
    assert old.returncode != 0, old.output
    assert new_fpr[-16:] in old.saw("missing key")  # the new key is the one it lacks


def test_resign_named_serials_only_and_purge_them(world: World, tmp_path: Path) -> None:
    """`resign SERIAL`: that serial's signatures change (and are purged), the others' stay."""
    s1, s2, s3 = world.serials
    old_ring = export(world.gnupghome, tmp_path / "old.gpg", world.fingerprint)
    new_fpr = sample.make_key(world.gnupghome)
    new_ring = export(world.gnupghome, tmp_path / "new.gpg", new_fpr)
    export(world.gnupghome, world.keyring, world.fingerprint, new_fpr)  # both, mid-rotation
    stop_agent(world)
    conf = world.root / "conf" / "distributions"
    conf.write_text(conf.read_text().replace(world.fingerprint, new_fpr))
    others = {(s, c): tree_hash(world.snapshot(c, s)) for s in (s1, s3) for c in CODENAMES}
    releases = {c: (world.snapshot(c, s2) / "Release").read_bytes() for c in CODENAMES}

    before = tree_hash(world.root)
    refused = snapshot_cli(world, "resign", "/debian/", s2, "2001010199")
    assert (refused.returncode, refused.stdout) == (2, ""), refused
    assert "unknown serial 2001010199" in refused.stderr
    assert tree_hash(world.root) == before

    with recorded_purges(world) as purged:
        done = snapshot_cli(world, "resign", "/debian/", s2)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == len(CODENAMES), done.stdout
    for codename in CODENAMES:
        folder = world.snapshot(codename, s2)
        assert (folder / "Release").read_bytes() == releases[codename]
        assert verifies(new_ring, folder) == (True, True)
        assert verifies(old_ring, folder) == (False, False)
    assert {(s, c): tree_hash(world.snapshot(c, s)) for s, c in others} == others
    assert verifies(old_ring, world.snapshot("bookworm", s1)) == (True, True)
    assert {
        f"/debian/{s2}/dists/{c}/{name}" for c in CODENAMES for name in ("InRelease", "Release.gpg")
    } <= set(purged), purged
    assert not [url for url in purged if f"/{s1}/" in url or f"/{s3}/" in url], purged
