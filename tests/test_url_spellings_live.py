"""Runs of "/" and snapshots spelt as on disk, against a real `snapfront serve`, and through
the real clients that send them: wget (Tails' scripts), curl and apt-get follow the 301."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from snapfront.sample import SampleHost
from tests.apt_client import AptRoot
from tests.support import Reply, Running, fetch, running_server, with_listen
from tests.test_apt import require_apt

pytestmark = pytest.mark.live


VOLATILE = "public, max-age=10, s-maxage=60, stale-while-revalidate=30"
SAME = ("ETag", "Last-Modified", "Cache-Control", "Content-Type", "Content-Length")
"""What a file's answer must share under both of its spellings."""

# (doubled, single): every mount kind, the front page, snapfront's /-/, a query.
DOUBLED = [
    ("//debian/project/trace/debian", "/debian/project/trace/debian"),
    ("//debian/project/trace/debian?x=1&y", "/debian/project/trace/debian?x=1&y"),
    ("/debian//{new}/dists/bookworm/InRelease", "/debian/{new}/dists/bookworm/InRelease"),
    ("/debian/{old}//dists///jessie/updates//InRelease", "/debian/{old}/dists/jessie/updates/InRelease"),
    ("//debian/pool/main/h/hello/hello_1.1%7erc1-1_all.deb",
     "/debian/pool/main/h/hello/hello_1.1%7erc1-1_all.deb"),
    ("//apt/dists/bookworm-mediawiki/InRelease", "/apt/dists/bookworm-mediawiki/InRelease"),
    ("/tagged//5.0/debian/dists/bookworm/InRelease", "/tagged/5.0/debian/dists/bookworm/InRelease"),
    ("//mediawiki/1.41/mediawiki-1.41.0.tar.gz", "/mediawiki/1.41/mediawiki-1.41.0.tar.gz"),
    ("/mediawiki//1.41/", "/mediawiki/1.41/"),
    ("//", "/"),
    ("///index.json", "/index.json"),
    ("//-/ready", "/-/ready"),
    ("/-//healthy", "/-/healthy"),
    ("//-/static/feed.xsl?v=2", "/-/static/feed.xsl?v=2"),
]  # fmt: skip


def place(host: SampleHost, template: str) -> str:
    old, new = host.serials
    return template.replace("{old}", old).replace("{new}", new)


def require(tool: str, package: str) -> str:
    found = shutil.which(tool)
    assert found, f"{tool} not found: apt-get install {package}"
    return found


@pytest.mark.parametrize(("doubled", "single"), DOUBLED)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_run_of_slashes_is_a_301_to_the_single_slash_url(
    sample_host: SampleHost, base_url: str, doubled: str, single: str, method: str
) -> None:
    doubled, single = place(sample_host, doubled), place(sample_host, single)
    moved = fetch(base_url, method, path=doubled)
    assert moved.status == 301, (doubled, moved.status, moved.body[:200])
    location = moved.header("Location") or ""
    assert location == single and not location.startswith("//"), location
    assert moved.header("Cache-Control") == VOLATILE
    there = fetch(base_url, method, path=location)
    assert there.status == 200, (location, there.status)
    assert there.body == fetch(base_url, method, path=single).body


def test_what_a_run_of_slashes_cannot_hide_is_refused(base_url: str, canary: bytes) -> None:
    for path in ("//.git/config", "/debian//pool/../../canary.txt", "//%2e%2e/canary.txt",
                 "//mediawiki%2f1.41/", "///etc/passwd"):  # fmt: skip
        reply = fetch(base_url, path=path)
        assert canary not in reply.body, path
        if reply.status == 301:  # only to a path of this host, which refuses it in turn
            location = reply.header("Location") or ""
            assert location.startswith("/") and not location.startswith("//"), location
            reply = fetch(base_url, path=location)
        assert reply.status == 404 and reply.header("Cache-Control") == "no-store", path


def test_tails_wget_and_curl_follow_the_run_of_slashes(
    sample_host: SampleHost, base_url: str
) -> None:
    """Tails' apt-snapshots-serials: BASE_URL ends in "/" and it fetches
    $BASE_URL/$origin/project/trace/$origin with wget; build tools use curl -L as well."""
    trace = fetch(base_url + "/debian/project/trace/debian").body
    assert re.search(rb"(?m)^Archive serial: \d{10}$", trace), trace
    url = f"{base_url}/" + "/debian/project/trace/debian"
    wget = [require("wget", "wget"), "--quiet", "--output-document=-", url]
    got = subprocess.run(wget, capture_output=True, timeout=30, check=False)
    assert (got.returncode, got.stdout) == (0, trace), got.stderr
    curl = [require("curl", "curl"), "--silent", "--fail", "--location", url]
    got = subprocess.run(curl, capture_output=True, timeout=30, check=False)
    assert (got.returncode, got.stdout) == (0, trace), got.stderr


def test_apt_follows_a_run_of_slashes_in_its_sources(
    sample_host: SampleHost, base_url: str, tmp_path: Path
) -> None:
    require_apt()
    new = sample_host.serials[1]
    line = f"deb [signed-by={sample_host.keyring}] {base_url}//debian//{new}/ bookworm main"
    apt = AptRoot(tmp_path / "apt", [line])
    update = apt.run("update")
    assert update.returncode == 0 and update.problems() == [], update.output
    assert update.lines("Get:") and apt.candidate("hello") == "1.1~rc1-1"


# ------------------------------------------------------------------ snapshots as on disk


def spellings(host: SampleHost) -> list[tuple[str, str]]:
    """(as on disk, as snapfront spells it) for every file of every snapshot."""
    pairs = []
    for path in sorted((host.snapshots_root / "dists").rglob("*")):
        rel = path.relative_to(host.snapshots_root).as_posix()
        if path.is_file() and "/snapshots/" in rel:
            codename, _, tail = rel.removeprefix("dists/").partition("/snapshots/")
            serial, _, file = tail.partition("/")
            pairs.append((f"/debian/{rel}", f"/debian/{serial}/dists/{codename}/{file}"))
    return pairs


def same_answer(on_disk: Reply, served: Reply) -> None:
    assert on_disk.status == served.status
    assert on_disk.body == served.body
    for name in SAME:
        assert on_disk.header(name) == served.header(name), name


def test_every_snapshot_file_answers_alike_under_both_spellings(
    sample_host: SampleHost, base_url: str
) -> None:
    pairs = spellings(sample_host)
    names = {url.rsplit("/", 1)[1] for url, _ in pairs}
    assert {"InRelease", "Release", "Release.gpg", "Packages.gz", "Sources.gz"} <= names, names
    assert any("/jessie/updates/snapshots/" in url for url, _ in pairs)
    for on_disk, served in pairs:
        for method in ("GET", "HEAD"):
            got, want = fetch(base_url, method, path=on_disk), fetch(base_url, method, path=served)
            assert got.status == 200, (on_disk, got.status)
            same_answer(got, want)
    classes = {fetch(base_url, path=u).header("Cache-Control") for u, _ in pairs}
    assert classes == {"public, max-age=120", "public, max-age=31536000, immutable"}


def test_conditional_and_range_requests_cross_spellings(
    sample_host: SampleHost, base_url: str
) -> None:
    """A cache that stored one spelling revalidates the other with the same validators."""
    new = sample_host.serials[1]
    on_disk = f"/debian/dists/bookworm/snapshots/{new}/InRelease"
    served = fetch(base_url, path=f"/debian/{new}/dists/bookworm/InRelease")
    etag, modified = served.header("ETag") or "", served.header("Last-Modified") or ""
    for headers in ({"If-None-Match": etag}, {"If-Modified-Since": modified}):
        reply = fetch(base_url, path=on_disk, headers=headers)
        assert reply.status == 304 and reply.header("ETag") == etag, headers
    part = fetch(base_url, path=on_disk, headers={"Range": "bytes=10-19", "If-Range": etag})
    assert part.status == 206 and part.body == served.body[10:20]
    assert fetch(base_url, path=on_disk, headers={"If-Match": '"other"'}).status == 412


@pytest.mark.parametrize(
    ("on_disk", "page"),
    [
        ("/debian/dists/bookworm/snapshots/{new}/", "/debian/{new}/dists/bookworm/"),
        ("/debian/dists/jessie/updates/snapshots/{old}/main/",
         "/debian/{old}/dists/jessie/updates/main/"),
    ],
)  # fmt: skip
def test_a_snapshot_directory_as_on_disk_redirects_to_its_page(
    sample_host: SampleHost, base_url: str, on_disk: str, page: str
) -> None:
    on_disk, page = place(sample_host, on_disk), place(sample_host, page)
    moved = fetch(base_url, path=on_disk)
    assert (moved.status, moved.header("Location")) == (301, page)
    assert fetch(base_url, path=page).status == 200


def test_an_unknown_snapshot_as_on_disk_lists_the_serials(
    sample_host: SampleHost, base_url: str
) -> None:
    missing = fetch(base_url, path="/debian/dists/bookworm/snapshots/2099123199/InRelease")
    assert missing.status == 404 and missing.header("Cache-Control") == "no-store"
    for serial in sample_host.serials:
        assert serial.encode() in missing.body
    listing = fetch(base_url, path="/debian/dists/bookworm/snapshots/")
    assert listing.status == 404


@pytest.fixture(scope="module")
def without_live(sample_host: SampleHost) -> Iterator[Running]:
    """The sample host with `live = false` on its snapshots mount, its own output."""
    config = with_listen(sample_host.config, "127.0.0.1:0", sample_host.dir / "nolive.toml")
    text = config.read_text().replace('output = "output"', 'output = "output-nolive"', 1)
    text = text.replace('kind = "snapshots"\n', 'kind = "snapshots"\nlive = false\n', 1)
    assert "live = false" in text and "output-nolive" in text
    config.write_text(text)
    with running_server(config, "--no-watch") as running:
        yield running


def test_without_the_live_archive_snapshots_as_on_disk_are_still_served(
    sample_host: SampleHost, base_url: str, without_live: Running
) -> None:
    """`live = false` turns off /P/dists/CODENAME/… of the live archive, not a snapshot's."""
    url = without_live.url.rstrip("/")
    new = sample_host.serials[1]
    assert fetch(url, path="/debian/dists/bookworm/InRelease").status == 404
    on_disk = fetch(url, path=f"/debian/dists/bookworm/snapshots/{new}/Release")
    same_answer(on_disk, fetch(url, path=f"/debian/{new}/dists/bookworm/Release"))
    assert on_disk.status == 200
    same_answer(on_disk, fetch(base_url, path=f"/debian/dists/bookworm/snapshots/{new}/Release"))
