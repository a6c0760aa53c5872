"""The partial take (issue 17): Tails' cron does not run `snapshot take`, it loops `reprepro
gensnapshot CODENAME SERIAL` over the codenames. Until the last one has run, everything that
names "the newest serial" keeps the previous one: the trace, `serials resolve`, the archive
page's newest mark, the host page, `/-/ready` and status.json; then all of them move together.
A codename added to conf/distributions without snapshots, or removed from it (its snapshot
directories left on disk), holds nothing back. Real reprepro, gpg and `snapfront serve`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from debian.deb822 import Deb822

from snapfront import sample
from tests.crawl import crawl
from tests.health_support import wait_for
from tests.lifecycle_support import World
from tests.support import Running, fetch, running_server, with_listen
from tests.test_serials_live import make_dir, serials

pytestmark = pytest.mark.live


WITHIN = 15.0
"""Seconds the watcher gets to follow a gensnapshot (it waits for quiet first: 0.5 s)."""
HEALTH = '\n[health]\nmin_valid_for = "400d"\n'
"""The sample's snapshots are valid 365 days: `/-/ready` then names the serial it judges."""
PLACES = ("trace", "serials resolve", "newest mark", "host page", "status.json", "/-/ready")


def gensnapshot(world: World, codename: str, serial: str) -> None:
    try:
        sample.reprepro(world.root, world.gnupghome, "gensnapshot", codename, serial)
    finally:
        sample.stop_agent(world.gnupghome)


def json_at(server: Running, path: str) -> dict:
    reply = fetch(server.url.rstrip("/") + path)
    assert reply.status == 200, (path, reply.status)
    return json.loads(reply.body)


def newest_everywhere(server: Running, latest: Path) -> dict[str, str]:
    """The serial each place names as the newest, read as a build, a browser or a probe does;
    `latest`: a config/APT_snapshots.d whose debian/serial says `latest`."""
    trace = fetch(server.url + "debian/project/trace/debian").body.decode()
    resolved = serials("resolve", str(latest), "--from", server.url).stdout
    page = [s["serial"] for s in json_at(server, "/debian/index.json")["serials"] if s["newest"]]
    host = {r["url"]: r["newest"] for r in json_at(server, "/index.json")["repositories"]}
    status = {m["url"]: m for m in json_at(server, "/-/status.json")["mounts"]}
    ready = fetch(server.url + "-/ready").body.decode()
    found = (
        _first(r"^Archive serial: (\d{10})$", trace),
        _first(r"^debian: (\d{10})$", resolved),
        ",".join(page),
        (host["/debian/"] or {}).get("label", ""),
        status["/debian/"]["newest_serial"],
        _first(r"serial (\d{10}) expires", ready),
    )
    return dict(zip(PLACES, found, strict=True))


def _first(pattern: str, text: str) -> str:
    found = re.search(pattern, text, re.M)
    return found.group(1) if found else f"(none in {text!r})"


def settled(server: Running, latest: Path, serial: str) -> dict[str, str]:
    """What every place names once all name `serial` (or when WITHIN runs out)."""
    return wait_for(
        lambda: newest_everywhere(server, latest), lambda seen: set(seen.values()) == {serial},
        WITHIN,
    )  # fmt: skip


def rows(server: Running, until_listed: str = "") -> dict[str, dict]:
    """The archive page's serial rows by serial, once it lists `until_listed` (the watcher
    has seen that gensnapshot) or WITHIN has run out."""
    found = wait_for(
        lambda: {row["serial"]: row for row in json_at(server, "/debian/index.json")["serials"]},
        lambda found: until_listed in found or not until_listed,
        WITHIN,
    )  # fmt: skip
    assert until_listed in found or not until_listed, f"{until_listed} never listed on /debian/"
    return found


def test_the_partial_take(world: World, tmp_path: Path) -> None:
    previous, new = world.serials[2], world.serials[0][:8] + "10"
    config = with_listen(world.config, "127.0.0.1:0", world.dir / "partial.toml")
    config.write_text(config.read_text() + HEALTH)
    latest = make_dir(tmp_path / "APT_snapshots.d", debian="latest")
    with running_server(config) as server:
        assert settled(server, latest, previous) == dict.fromkeys(PLACES, previous)

        gensnapshot(world, "bookworm", new)  # the cron's loop, between its two runs
        row = rows(server, new)[new]  # the watcher has seen it: listed, incomplete
        assert (row["complete"], row["newest"], row["codenames"]) == (False, False, ["bookworm"])
        assert newest_everywhere(server, latest) == dict.fromkeys(PLACES, previous)
        jessie = fetch(f"{server.url}debian/{previous}/dists/jessie/updates/InRelease")
        assert jessie.status == 200  # what a build that resolved `latest` just now fetches
        crawled = crawl(server.url.rstrip("/"))  # the partial serial's pages: no dead link
        assert not crawled.broken and f"/debian/{new}/" in crawled.pages, crawled.report()

        gensnapshot(world, "jessie/updates", new)
        assert settled(server, latest, new) == dict.fromkeys(PLACES, new)
        assert rows(server)[new]["complete"] is True


def test_added_and_removed_codenames_hold_nothing_back(world: World) -> None:
    """trixie added to conf/distributions: without a snapshot it blocks nothing, its first
    snapshot blocks that serial alone (never the older ones); jessie/updates removed from
    conf/distributions (`reprepro clearvanished`, its snapshots left on disk) blocks nothing."""
    config = with_listen(world.config, "127.0.0.1:0", world.dir / "codenames.toml")
    stanzas = _distributions(world)
    trixie = {**stanzas[0], "Codename": "trixie"}
    sample.write_distributions(world.root, [*stanzas, trixie])
    s11, s12, s13 = (world.serials[0][:8] + n for n in ("11", "12", "13"))
    with running_server(config) as server:
        for codename in ("bookworm", "jessie/updates"):
            gensnapshot(world, codename, s11)
        assert _traced(server, s11) == s11

        gensnapshot(world, "trixie", s12)  # the new codename's first snapshot, taken first
        listed = rows(server, s12)
        assert (listed[s12]["complete"], _traced(server, s11)) == (False, s11)
        assert all(listed[s]["complete"] for s in (*world.serials, s11))
        for codename in ("bookworm", "jessie/updates"):
            gensnapshot(world, codename, s12)
        assert _traced(server, s12) == s12

        kept = [s for s in stanzas if s["Codename"] != "jessie/updates"]
        sample.write_distributions(world.root, [*kept, trixie])
        sample.reprepro(world.root, world.gnupghome, "--delete", "clearvanished")
        assert (world.snapshot("jessie/updates", s12) / "InRelease").is_file()
        for codename in ("bookworm", "trixie"):
            gensnapshot(world, codename, s13)
        assert _traced(server, s13) == s13


def _distributions(world: World) -> list[dict[str, str]]:
    with open(world.root / "conf" / "distributions") as fh:
        return [dict(stanza) for stanza in Deb822.iter_paragraphs(fh, use_apt_pkg=False)]


def _traced(server: Running, serial: str) -> str:
    """The trace's serial once it is `serial` (or when WITHIN runs out)."""
    return wait_for(
        lambda: _first(
            r"^Archive serial: (\d{10})$",
            fetch(server.url + "debian/project/trace/debian").body.decode(),
        ),
        lambda found: found == serial,
        WITHIN,
    )
