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
from tests.apt_client import AptRoot
from tests.snapshot_cli import snapshot
from tests.support import Running, running_server, with_listen
from tests.test_apt import require_apt
from tests.test_bump import CODENAMES, snapshot_dir, tree_digest


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


def export(host: sample.SampleHost, fingerprint: str, dest: Path) -> Path:
    env = {**os.environ, "GNUPGHOME": str(host.gnupghome), "LC_ALL": "C.UTF-8"}
    subprocess.run(
        ["gpg", "--batch", "--yes", "--output", str(dest), "--export", fingerprint],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    return dest


def apt_update(served: Served, root: Path, keyring: Path) -> tuple[int, str]:
    lines = [
        f"deb [signed-by={keyring}] {served.server.url}debian/{serial}/ {codename} main"
        for serial in served.host.serials
        for codename in CODENAMES
    ]
    result = AptRoot(root, lines).run("update")
    return result.returncode, result.output


def test_resign_all_after_key_rotation(served: Served, tmp_path: Path) -> None:
    require_apt()
    host = served.host
    old_ring = export(host, host.fingerprint, tmp_path / "old.gpg")
    code, output = apt_update(served, tmp_path / "apt-before", old_ring)
    assert code == 0 and "W:" not in output, output
    new_fpr = sample.make_key(host.gnupghome)
    new_ring = export(host, new_fpr, tmp_path / "new.gpg")
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
        for files in ([folder / "InRelease"], [folder / "Release.gpg", folder / "Release"]):
            for ring, ok in ((new_ring, 0), (old_ring, 2)):
                check = subprocess.run(
                    ["gpgv", "--keyring", str(ring), *map(str, files)], capture_output=True
                )
                assert check.returncode == ok, (files, ring, check.stderr)
    code, output = apt_update(served, tmp_path / "apt-new", new_ring)
    assert code == 0 and "W:" not in output and "E:" not in output, output
    code, output = apt_update(served, tmp_path / "apt-old", old_ring)
    assert code != 0 and "NO_PUBKEY" in output, output
