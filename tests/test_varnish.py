"""snapfront behind a real Varnish with contrib/varnish/snapfront.vcl: what a CDN sees.

Hits, Range, HEAD and 304 through the cache; repository files never coded; PURGE only from
the ACL; purge by Surrogate-Key; real apt-get through the cache; a snapshot Release re-signed
by hand is seen right after snapfront purges it; Tails' doubled-slash trace URL follows a new
serial as soon as the single-slash trace is purged.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.edge import Edge, edge_behind_varnish
from tests.support import Reply, fetch
from tests.test_apt import pool_file, require_apt

pytestmark = pytest.mark.system


POOL_DEB = "/debian/pool/main/h/hello/hello_1.0-1_all.deb"
TARBALL = "/mediawiki/1.41/mediawiki-1.41.0.tar.gz"
TARBALL_2 = "/mediawiki/1.41/mediawiki-1.41.1.tar.gz"


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    with edge_behind_varnish(tmp_path_factory.mktemp("varnish")) as running:
        yield running


def packages(edge: Edge) -> str:
    return f"/debian/{edge.host.serials[0]}/dists/bookworm/main/binary-amd64/Packages"


def hit(reply: Reply) -> bool:
    """Varnish's X-Varnish carries two ids (this request's and the stored object's) on a hit."""
    return len((reply.header("X-Varnish") or "").split()) == 2


def test_second_get_is_a_cache_hit(edge: Edge) -> None:
    urls = [POOL_DEB, packages(edge)]
    first = {url: edge.cache.fetch(url) for url in urls}
    assert all(r.status == 200 and not hit(r) for r in first.values())
    time.sleep(1.1)
    for url in urls:
        again = edge.cache.fetch(url)
        assert again.status == 200 and again.body == first[url].body
        assert hit(again) and int(again.header("Age") or 0) >= 1, again.headers


def test_range_head_and_304_through_the_cache(edge: Edge) -> None:
    body = edge.cache.fetch(POOL_DEB).body
    part = edge.cache.fetch(POOL_DEB, Range="bytes=0-99")
    assert part.status == 206 and part.body == body[:100]
    assert part.header("Content-Range") == f"bytes 0-99/{len(body)}"
    tail = edge.cache.fetch(POOL_DEB, Range="bytes=-10")
    assert tail.status == 206 and tail.body == body[-10:]
    cold = edge.host.files_root / TARBALL_2.removeprefix("/")
    first = edge.cache.fetch(TARBALL_2, Range="bytes=10-19")  # a miss answered with a range
    assert first.status == 206 and first.body == cold.read_bytes()[10:20]
    modified = edge.cache.fetch(POOL_DEB, "HEAD").header("Last-Modified")
    resume = edge.cache.fetch(POOL_DEB, Range="bytes=500-", **{"If-Range": modified or ""})
    assert resume.status == 206 and resume.body == body[500:]  # how APT resumes
    head = edge.cache.fetch(POOL_DEB, "HEAD")
    assert head.status == 200 and head.body == b""
    assert head.header("Content-Length") == str(len(body))
    etag, modified = head.header("ETag"), head.header("Last-Modified")
    assert etag and modified
    assert edge.cache.fetch(POOL_DEB, **{"If-None-Match": etag}).status == 304
    assert edge.cache.fetch(POOL_DEB, **{"If-Modified-Since": modified}).status == 304
    assert edge.cache.fetch(POOL_DEB, **{"If-None-Match": '"other"'}).status == 200


def test_repository_files_are_never_coded(edge: Edge) -> None:
    """Varnish asks its backend for gzip; a coded Packages would be a Hash Sum mismatch."""
    url = packages(edge)
    on_disk = edge.host.snapshots_root / "dists/bookworm/snapshots" / edge.host.serials[0]
    for _ in range(2):  # the miss and the hit
        reply = edge.cache.fetch(url, **{"Accept-Encoding": "gzip"})
        assert reply.header("Content-Encoding") is None
        assert reply.body == (on_disk / "main/binary-amd64/Packages").read_bytes()
    page = edge.cache.fetch("/debian/", **{"Accept-Encoding": "gzip"})
    assert page.header("Content-Encoding") == "gzip"  # generated pages may be


def test_surrogate_key_reaches_the_cache_and_purges_by_key(edge: Edge) -> None:
    origin = edge.cache.fetch(TARBALL)  # cached now
    direct = fetch(edge.origin + TARBALL)
    assert direct.header("Surrogate-Key") == "snapfront mount:/ class:files"
    assert origin.header("Surrogate-Key") is None  # stripped for clients
    assert hit(edge.cache.fetch(TARBALL)) and hit(edge.cache.fetch(POOL_DEB))
    banned = edge.cache.fetch("/", "PURGE", **{"Surrogate-Key": "class:files"})
    assert banned.status == 200
    assert not hit(edge.cache.fetch(TARBALL))
    assert hit(edge.cache.fetch(POOL_DEB))  # another class stays


def test_purge_only_from_the_acl(edge: Edge) -> None:
    edge.cache.fetch(POOL_DEB)
    conn = http.client.HTTPConnection(
        "127.0.0.1", int(edge.cache.url.rsplit(":", 1)[1]), source_address=("127.0.0.2", 0)
    )
    conn.request("PURGE", POOL_DEB, headers={"Host": edge.cache.host})
    refused = conn.getresponse()
    assert refused.status == 403, refused.read()
    conn.close()
    assert hit(edge.cache.fetch(POOL_DEB))
    assert edge.cache.fetch(POOL_DEB, "PURGE").status == 200
    assert not hit(edge.cache.fetch(POOL_DEB))


@pytest.mark.parametrize("which", ["snapshot", "repository"])
def test_apt_update_and_download_through_varnish(edge: Edge, which: str, tmp_path: Path) -> None:
    require_apt()
    host = edge.host
    line, package, version, basedir = {
        "snapshot": (f"/debian/{host.serials[1]}/ bookworm", "hello", "1.1~rc1-1",
                     host.snapshots_root),
        "repository": ("/apt/ bookworm-mediawiki", "mediawiki-tools", "1.0-1",
                       host.repository_root),
    }[which]  # fmt: skip
    apt = edge.apt(tmp_path / "apt", line)
    for _ in range(2):  # cold cache, then warm
        update = apt.run("update")
        assert update.returncode == 0 and update.problems() == [], update.output
    assert apt.candidate(package) == version
    download = apt.run("download", package, cwd=tmp_path)
    assert download.returncode == 0 and download.problems() == [], download.output
    (deb,) = tmp_path.glob(f"{package}_*.deb")
    expected = pool_file(basedir, deb.name.replace("%7e", "~"))
    assert (
        hashlib.sha256(deb.read_bytes()).digest() == hashlib.sha256(expected.read_bytes()).digest()
    )


VALID_UNTIL = re.compile(r"^Valid-Until: .*$", re.MULTILINE)


def test_resigned_snapshot_release_is_seen_after_its_purge(edge: Edge) -> None:
    """Valid-Until bumped and the Release re-signed by hand: the cache must not keep the old."""
    serial = edge.host.serials[0]
    url = f"/debian/{serial}/dists/bookworm/InRelease"
    folder = edge.host.snapshots_root / "dists/bookworm/snapshots" / serial
    old = edge.cache.fetch(url).body
    assert hit(edge.cache.fetch(url))
    release = folder / "Release"
    bumped = VALID_UNTIL.sub("Valid-Until: Fri, 01 Jan 2100 00:00:00 UTC", release.read_text())
    assert bumped != release.read_text()
    work = edge.host.dir / "resign"
    work.mkdir()
    (work / "Release").write_text(bumped)
    edge.gpg("--clearsign", "--output", str(work / "InRelease"), str(work / "Release"))
    edge.gpg(
        "--armor", "--detach-sign", "--output", str(work / "Release.gpg"), str(work / "Release")
    )
    edge.log.skip()
    for name in ("Release", "InRelease", "Release.gpg"):  # reprepro's order
        os.replace(work / name, folder / name)
    edge.log.wait_for_purge()
    new = edge.cache.fetch(url)
    assert new.body != old and b"Valid-Until: Fri, 01 Jan 2100" in new.body
    assert new.body == (folder / "InRelease").read_bytes()


TRACE = "/debian/project/trace/debian"
SERIAL_LINE = re.compile(rb"^Archive serial: (\d{10})$", re.MULTILINE)


def serial_behind_the_doubled_trace(edge: Edge) -> tuple[str, Reply]:
    """What //debian/project/trace/debian names through the cache, following its 301 through
    the cache as wget does; and the 301 as the cache answered it."""
    moved = edge.cache.fetch("/" + TRACE)
    assert moved.status == 301 and moved.header("Location") == TRACE, moved.headers
    trace = edge.cache.fetch(TRACE)
    found = SERIAL_LINE.search(trace.body)
    assert trace.status == 200 and found, trace.body
    return found[1].decode(), moved


def test_the_doubled_slash_trace_names_a_new_serial_once_it_is_purged(edge: Edge) -> None:
    """The cache keeps the 301 of the doubled URL (volatile class: harmless, it always points
    at the single-slash trace) and the trace; the new serial's purge drops the trace, so the
    doubled URL names the new serial within seconds, never the old one for the 60 s
    (s-maxage) the cache would otherwise keep it."""
    old = max(edge.host.serials)
    assert serial_behind_the_doubled_trace(edge)[0] == old
    named, moved = serial_behind_the_doubled_trace(edge)
    assert named == old and hit(moved) and hit(edge.cache.fetch(TRACE))  # both cached
    new = old[:8] + "09"
    edge.gensnapshot(new, "bookworm", "jessie/updates")
    taken = time.monotonic()
    while (named := serial_behind_the_doubled_trace(edge)[0]) != new:
        assert named == old, named
        assert time.monotonic() - taken < 10, "the old serial outlived the purge"
        time.sleep(0.1)
    print(f"doubled-slash trace names the new serial {time.monotonic() - taken:.2f} s after it")
    for _ in range(10):  # and stays there
        named, moved = serial_behind_the_doubled_trace(edge)
        assert named == new and hit(moved)
        time.sleep(0.1)
