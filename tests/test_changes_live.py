"""The watcher writes a new serial's changes page: after `snapfront snapshot take` on a running
`snapfront serve`, /P/NEW/changes/ and its JSON are served within seconds, against the serial
before it, with counts the archive page repeats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from snapfront import sample
from tests.lifecycle_support import World, snapshot_cli, stop_agent
from tests.support import fetch, running_server, with_listen
from tests.test_lifecycle_gc import until

pytestmark = pytest.mark.live


def test_take_gets_its_changes_page_from_the_watcher(world: World, tmp_path: Path) -> None:
    previous = world.serials[-1]
    work = tmp_path / "pkg"
    work.mkdir()
    debs = [sample.make_deb(work, "hello", "2.0-1"), sample.make_deb(work, "newcomer", "0.1-1")]
    try:
        for deb in debs:  # bookworm: hello 1.1~rc1-1 -> 2.0-1, newcomer added
            sample.reprepro(world.root, world.gnupghome, "includedeb", "bookworm", str(deb))
        sample.reprepro(world.root, world.gnupghome, "remove", "bookworm", "extra")
    finally:
        stop_agent(world)
    config = with_listen(world.config, "127.0.0.1:0", world.dir / "test.toml")
    with running_server(config) as server:
        base = f"{server.url}debian/"
        taken = snapshot_cli(world, "take", "/debian/")
        assert taken.returncode == 0, taken.stderr
        serial = taken.stdout.strip()

        waited = until(lambda: fetch(f"{base}{serial}/changes/").status == 200, timeout=5.0)
        print(f"changes page of {serial} served {waited:.2f} s after take returned")
        page = fetch(f"{base}{serial}/changes/").body.decode()
        assert "<td>hello</td><td>upgraded</td><td>1.1~rc1-1</td><td>2.0-1</td>" in page, page
        document = json.loads(fetch(f"{base}{serial}/changes.json").body)
        changes = document["changes"]
        assert (changes["old"], changes["new"]) == (previous, serial)
        assert changes["counts"] == {"added": 1, "removed": 1, "upgraded": 1, "downgraded": 0}
        scopes = {(s["codename"], s["architecture"]): s["counts"] for s in changes["scopes"]}
        assert scopes[("bookworm", "amd64")] == changes["counts"]
        assert all(sum(c.values()) == 0 for k, c in scopes.items() if k[0] != "bookworm")

        def row() -> dict | None:
            front = json.loads(fetch(f"{base}index.json").body)
            return {s["serial"]: s["changes"] for s in front["serials"]}.get(serial)

        until(lambda: row() is not None, timeout=5.0)
        assert row() == {"added": 1, "removed": 1, "upgraded": 1, "downgraded": 0,
                         "href": f"{serial}/changes/"}  # fmt: skip
