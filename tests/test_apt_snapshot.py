"""`apt update --snapshot` (APT ≥ 2.7) against snapfront: Debian 12's apt 2.6 has no such
option, so apt runs inside a fresh Debian 13 minbase root (apt 3.0) from `debian_bases`; the
snapfront server runs on the host and the chroot shares its network. The client configuration
is exactly what the archive page offers: its live stanza's source line and its
/etc/apt/apt.conf.d/ line (`Acquire::Snapshots::URI::Host::127.0.0.1`)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests import debroot
from tests.lifecycle_support import World
from tests.support import fetch, running_server, with_listen
from tests.test_timetravel_live import dated  # noqa: F401  (a fixture)

pytestmark = pytest.mark.debroot


def test_apt_update_snapshot_serial_and_time(
    dated: World,  # noqa: F811
    debian_bases: debroot.Bases,
    tmp_path: Path,
) -> None:
    world = dated
    s1 = world.serials[0]
    port = debroot.free_port()
    config = with_listen(world.config, f"127.0.0.1:{port}", world.dir / "test.toml")
    root = debian_bases.fresh("trixie", tmp_path / "trixie")
    try:
        with running_server(config) as server, root.mounted():
            page = json.loads(fetch(f"{server.url}debian/index.json").body)
            conf = page["snapshot_conf"]
            assert conf["warning"] is None
            assert conf["text"].endswith(
                f'Acquire::Snapshots::URI::Host::127.0.0.1 "http://127.0.0.1:{port}/@PATH@/@SNAPSHOTID@/";\n'
            )
            etc = root.path / "etc/apt"
            (etc / "sources.list").unlink(missing_ok=True)
            for old in (etc / "sources.list.d").glob("*"):
                old.unlink()  # Debian's own archive: nothing but snapfront is asked
            (etc / "keyrings").mkdir(exist_ok=True)
            shutil.copy(world.keyring, etc / "keyrings/snapfront.gpg")
            (etc / "sources.list.d/snapfront.list").write_text(
                f"deb [signed-by=/etc/apt/keyrings/snapfront.gpg] {server.url}debian/ bookworm main\n"
            )
            (root.path / conf["path"].lstrip("/")).write_text(conf["text"])
            print(root.run("apt-get --version | head -1"))

            by_serial = root.run(f"apt-get update --snapshot {s1} 2>&1")
            print(by_serial)
            assert f"{server.url}debian/{s1} bookworm InRelease" in by_serial
            at_serial = root.run(f"apt-cache --snapshot {s1} policy hello")
            live = root.run("apt-cache policy hello")
            print(at_serial, live, sep="")
            assert "Candidate: 1.0-1" in at_serial
            assert "Candidate: 1.1~rc1-1" in live  # the live one
            root.run(f"cd /tmp && apt-get download --snapshot {s1} hello")
            assert (root.path / "tmp/hello_1.0-1_all.deb").exists()

            stamp = "20261121T120000Z"  # between the first (06:00) and the second (18:00)
            by_time = root.run(f"apt-get update --snapshot {stamp} 2>&1")
            print(by_time)
            assert f"{server.url}debian/{stamp} bookworm InRelease" in by_time
            hello = root.run(f"apt-cache --snapshot {stamp} policy hello")
            extra = root.run(f"apt-cache --snapshot {stamp} policy extra 2>&1 || true")
            print(hello, extra, sep="")
            # the floor is the first serial: its hello (not the live 1.1~rc1-1, nor the third
            # serial's), and no extra, which only the third serial has
            assert "Candidate: 1.0-1" in hello and "1.1~rc1-1" not in hello, hello
            assert "Candidate: 1.0-1" not in extra, extra
            root.run(f"mkdir /tmp/t && cd /tmp/t && apt-get download --snapshot {stamp} hello")
            assert [p.name for p in (root.path / "tmp/t").iterdir()] == ["hello_1.0-1_all.deb"]

            out = root.run("apt-get update --snapshot 2099010101 2>&1 || echo rc=$?")
            print(out)
            assert "rc=100" in out, out
            assert f"{server.url}debian/2099010101 bookworm Release\n  404  Not Found" in out
            assert "E: The repository" in out and "does not have a Release file" in out
            stale = root.run("apt-cache --snapshot 2099010101 policy hello")
            print(stale)
            assert "1.0-1" not in stale and "1.1~rc1-1" not in stale, stale  # nothing served
    finally:
        root.remove()
