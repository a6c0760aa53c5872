"""HTTP conformance of the live origin (a real `snapfront serve`), as APT, caches and browsers see it.

Every URL is derived from the sample host: its serials, its roots and what reprepro, dpkg and
tar wrote there. Each test asserts something a client would notice on the wire.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import brotli
import pytest

from snapfront.generator.write import MIN_SIZE
from snapfront.sample import SampleHost
from tests.support import Reply, fetch

IMMUTABLE = "public, max-age=31536000, immutable"
SIGNED = "public, max-age=120"
VOLATILE = "public, max-age=10, s-maxage=60, stale-while-revalidate=30"
FILES = "public, max-age=86400"
NO_STORE = "no-store"
VALIDATED = ("Content-Length", "ETag", "Last-Modified", "Content-Type", "Cache-Control")
STRONG_ETAG = re.compile(r'"[^"\x00-\x20\x7f]+"\Z')


# ---------------------------------------------------------------- helpers


def place(sample_host: SampleHost, template: str) -> str:
    """Fill {old}, {new} (the serials) and {snap}, {repo}, {tagged}, {files} (the roots)."""
    old, new = sample_host.serials
    return template.format(
        old=old,
        new=new,
        snap=sample_host.snapshots_root,
        repo=sample_host.repository_root,
        tagged=sample_host.tagged_root,
        files=sample_host.files_root,
        keyring=sample_host.keyring,
    )


@dataclass(frozen=True)
class Item:
    """A URL path as a client sends it, and the file on disk it must answer with."""

    path: str
    file: Path

    @property
    def data(self) -> bytes:
        return self.file.read_bytes()

    @property
    def size(self) -> int:
        return self.file.stat().st_size


ITEMS = {
    # "~" percent-encoded the way APT sends it.
    "deb": (
        "/debian/{new}/pool/main/h/hello/hello_1.1%7erc1-1_all.deb",
        "{snap}/pool/main/h/hello/hello_1.1~rc1-1_all.deb",
    ),
    "inrelease": (
        "/debian/{new}/dists/bookworm/InRelease",
        "{snap}/dists/bookworm/snapshots/{new}/InRelease",
    ),
    "tarball": (
        "/mediawiki/1.41/mediawiki-1.41.1.tar.gz",
        "{files}/mediawiki/1.41/mediawiki-1.41.1.tar.gz",
    ),
}


@pytest.fixture(scope="module")
def items(sample_host: SampleHost) -> dict[str, Item]:
    return {
        name: Item(place(sample_host, url), Path(place(sample_host, file)))
        for name, (url, file) in ITEMS.items()
    }


@pytest.fixture(scope="module")
def tarball(items: dict[str, Item]) -> Item:
    item = items["tarball"]
    assert item.size > 300, "the range tests need a tarball of a few hundred bytes at least"
    return item


def get(base_url: str, path: str, headers: dict[str, str] | None = None) -> Reply:
    return fetch(base_url + path, headers=headers)


def raw(
    base_url: str, path: str, method: str = "GET", headers: dict[str, str] | None = None
) -> Reply:
    """The path is sent verbatim (percent-encoding, dot segments and all)."""
    return fetch(base_url, method=method, headers=headers, path=path)


def http_date(seconds: float) -> str:
    return formatdate(int(seconds), usegmt=True)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def etag_of(file: Path) -> str:
    st = file.stat()
    return f'"{st.st_mtime_ns:x}-{st.st_size:x}"'


def assert_no_store(reply: Reply) -> None:
    assert reply.header("Cache-Control") == NO_STORE, reply.headers.items()


def parse_multipart(body: bytes, boundary: str) -> list[tuple[dict[str, str], bytes]]:
    """multipart/byteranges (RFC 9110 §14.6) parsed strictly: each part's length from its range."""
    delimiter = b"--" + boundary.encode()
    assert body.startswith(delimiter + b"\r\n"), body[:80]
    pos = len(delimiter) + 2
    parts = []
    while True:
        head_end = body.index(b"\r\n\r\n", pos)
        headers = {}
        for line in body[pos:head_end].decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", headers["content-range"])
        assert match, headers
        start, end = int(match[1]), int(match[2])
        data_start = head_end + 4
        data = body[data_start : data_start + end - start + 1]
        parts.append((headers, data))
        pos = data_start + len(data)
        assert body[pos : pos + 2 + len(delimiter)] == b"\r\n" + delimiter, body[pos : pos + 80]
        pos += 2 + len(delimiter)
        if body[pos : pos + 2] == b"--":
            assert body[pos:] in (b"--", b"--\r\n"), body[pos:]
            return parts
        assert body[pos : pos + 2] == b"\r\n"
        pos += 2


# ---------------------------------------------------------------- GET and HEAD


@pytest.mark.parametrize("name", sorted(ITEMS))
def test_head_matches_get_and_get_body_is_the_file(
    base_url: str, items: dict[str, Item], name: str
) -> None:
    item = items[name]
    got = raw(base_url, item.path)
    head = raw(base_url, item.path, method="HEAD")
    assert got.status == head.status == 200
    assert sha256(got.body) == sha256(item.data)
    assert int(got.header("Content-Length")) == item.size
    for field in VALIDATED:
        assert got.header(field) is not None, field
        assert head.header(field) == got.header(field), field
    assert head.body == b""


# ---------------------------------------------------------------- validators


@pytest.mark.parametrize("name", sorted(ITEMS))
def test_validators_are_strong_replica_stable_and_repeatable(
    base_url: str, items: dict[str, Item], name: str
) -> None:
    item = items[name]
    first, second = raw(base_url, item.path), raw(base_url, item.path)
    etag = first.header("ETag")
    assert STRONG_ETAG.match(etag), etag  # quoted, no W/ prefix
    # mtime_ns and size survive rsync -a, so every replica computes the same tag.
    assert etag == etag_of(item.file)
    assert first.header("Last-Modified") == http_date(item.file.stat().st_mtime)
    assert (second.header("ETag"), second.header("Last-Modified")) == (
        etag,
        first.header("Last-Modified"),
    )


# ---------------------------------------------------------------- conditional requests


@pytest.mark.parametrize("form", ["exact", "weak", "list", "star"])
@pytest.mark.parametrize("name", ["inrelease", "deb"])
def test_if_none_match_gives_304_with_the_200s_validators(
    base_url: str, items: dict[str, Item], name: str, form: str
) -> None:
    item = items[name]
    full = raw(base_url, item.path)
    etag = full.header("ETag")
    value = {"exact": etag, "weak": "W/" + etag, "list": f'"nope", {etag}, "other"', "star": "*"}
    reply = raw(base_url, item.path, headers={"If-None-Match": value[form]})
    assert reply.status == 304
    assert reply.body == b""
    for field in ("ETag", "Cache-Control", "Last-Modified"):
        assert reply.header(field) == full.header(field), field


def test_if_none_match_not_matching_gives_200(base_url: str, items: dict[str, Item]) -> None:
    item = items["inrelease"]
    reply = raw(base_url, item.path, headers={"If-None-Match": '"0-0", W/"1-1"'})
    assert reply.status == 200
    assert reply.body == item.data


@pytest.mark.parametrize(("offset", "status"), [(0, 304), (3600, 304), (-86400, 200)])
def test_if_modified_since(base_url: str, items: dict[str, Item], offset: int, status: int) -> None:
    """APT sends the stored file's date for InRelease and expects 304 while it is current."""
    item = items["inrelease"]
    since = http_date(item.file.stat().st_mtime + offset)
    reply = raw(base_url, item.path, headers={"If-Modified-Since": since})
    assert reply.status == status
    if status == 304:
        assert reply.body == b""
        assert reply.header("ETag") == etag_of(item.file)
        assert reply.header("Cache-Control") == SIGNED
    else:
        assert reply.body == item.data


def test_if_none_match_takes_precedence_over_if_modified_since(
    base_url: str, items: dict[str, Item]
) -> None:
    item = items["inrelease"]
    future = http_date(time.time() + 86400)
    headers = {"If-None-Match": '"0-0"', "If-Modified-Since": future}
    reply = raw(base_url, item.path, headers=headers)
    assert reply.status == 200
    assert reply.body == item.data


def test_if_match_not_matching_is_412_no_store(base_url: str, items: dict[str, Item]) -> None:
    item = items["deb"]
    reply = raw(base_url, item.path, headers={"If-Match": '"0-0"'})
    assert reply.status == 412
    assert_no_store(reply)
    assert item.data not in reply.body


def test_if_match_matching_is_200(base_url: str, items: dict[str, Item]) -> None:
    item = items["deb"]
    reply = raw(base_url, item.path, headers={"If-Match": etag_of(item.file)})
    assert reply.status == 200
    assert reply.body == item.data


def test_if_unmodified_since_before_last_modified_is_412(
    base_url: str, items: dict[str, Item]
) -> None:
    item = items["deb"]
    before = http_date(item.file.stat().st_mtime - 86400)
    reply = raw(base_url, item.path, headers={"If-Unmodified-Since": before})
    assert reply.status == 412
    assert_no_store(reply)


# ---------------------------------------------------------------- byte ranges


SINGLE_RANGES = {  # Range header -> (first, last) byte for a file of `size` bytes
    "bytes=0-99": lambda size: (0, 99),
    "bytes=-100": lambda size: (size - 100, size - 1),  # suffix
    "bytes=100-": lambda size: (100, size - 1),  # open-ended
    "bytes=100-999999999": lambda size: (100, size - 1),  # end past EOF is clamped
}


@pytest.mark.parametrize("spec", list(SINGLE_RANGES))
def test_single_range(base_url: str, tarball: Item, spec: str) -> None:
    size = tarball.size
    start, end = SINGLE_RANGES[spec](size)
    reply = raw(base_url, tarball.path, headers={"Range": spec})
    assert reply.status == 206
    assert reply.header("Content-Range") == f"bytes {start}-{end}/{size}"
    assert reply.body == tarball.data[start : end + 1]
    assert int(reply.header("Content-Length")) == end - start + 1
    assert reply.header("Content-Type") == "application/gzip"
    assert reply.header("ETag") == etag_of(tarball.file)


def test_multiple_ranges_are_multipart_byteranges(base_url: str, tarball: Item) -> None:
    size, data = tarball.size, tarball.data
    reply = raw(base_url, tarball.path, headers={"Range": "bytes=0-9,100-109,200-"})
    assert reply.status == 206
    content_type = reply.header("Content-Type")
    match = re.fullmatch(r'multipart/byteranges;\s*boundary="?([^";]+)"?', content_type)
    assert match, content_type
    assert int(reply.header("Content-Length")) == len(reply.body)
    assert reply.header("Content-Range") is None  # only inside the parts
    parts = parse_multipart(reply.body, match[1])
    expected = [(0, 9), (100, 109), (200, size - 1)]
    assert [h["content-range"] for h, _ in parts] == [f"bytes {a}-{b}/{size}" for a, b in expected]
    assert [body for _, body in parts] == [data[a : b + 1] for a, b in expected]
    assert all(h["content-type"] == "application/gzip" for h, _ in parts)


def test_overlapping_ranges_give_the_right_bytes(base_url: str, tarball: Item) -> None:
    size, data = tarball.size, tarball.data
    reply = raw(base_url, tarball.path, headers={"Range": "bytes=0-50,10-60"})
    assert reply.status == 206
    content_type = reply.header("Content-Type")
    if content_type.startswith("multipart/byteranges"):
        boundary = content_type.split("boundary=", 1)[1].strip('"')
        parts = parse_multipart(reply.body, boundary)
        got = bytearray(61)
        for headers, body in parts:
            start = int(re.match(r"bytes (\d+)-", headers["content-range"])[1])
            got[start : start + len(body)] = body
        assert bytes(got) == data[:61]
    else:  # coalesced into one range
        assert reply.header("Content-Range") == f"bytes 0-60/{size}"
        assert reply.body == data[:61]


@pytest.mark.parametrize("spec", ["bytes=SIZE-", "bytes=-0"])
def test_unsatisfiable_range_is_416(base_url: str, tarball: Item, spec: str) -> None:
    size = tarball.size
    reply = raw(base_url, tarball.path, headers={"Range": spec.replace("SIZE", str(size))})
    assert reply.status == 416
    assert reply.header("Content-Range") == f"bytes */{size}"
    assert_no_store(reply)
    assert tarball.data not in reply.body


@pytest.mark.parametrize("spec", ["bytes=abc", "bytes=5-3", "items=0-1"])
def test_malformed_range_gives_the_whole_file(base_url: str, tarball: Item, spec: str) -> None:
    reply = raw(base_url, tarball.path, headers={"Range": spec})
    assert reply.status == 200
    assert reply.header("Content-Range") is None
    assert reply.body == tarball.data


# ---------------------------------------------------------------- If-Range


@pytest.mark.parametrize(
    ("validator", "status"),
    [("etag", 206), ("stale-etag", 200), ("date", 206), ("old-date", 200), ("weak-etag", 200)],
)
def test_if_range(base_url: str, tarball: Item, validator: str, status: int) -> None:
    etag, mtime = etag_of(tarball.file), tarball.file.stat().st_mtime
    value = {
        "etag": etag,
        "stale-etag": '"0-0"',
        "date": http_date(mtime),
        "old-date": http_date(mtime - 86400),
        "weak-etag": "W/" + etag,  # a weak tag never matches in If-Range
    }[validator]
    reply = raw(base_url, tarball.path, headers={"Range": "bytes=0-99", "If-Range": value})
    assert reply.status == status
    if status == 206:
        assert reply.header("Content-Range") == f"bytes 0-99/{tarball.size}"
        assert reply.body == tarball.data[:100]
    else:
        assert reply.header("Content-Range") is None
        assert reply.body == tarball.data


@pytest.mark.parametrize("name", ["deb", "tarball"])
def test_apt_resume_with_last_modified(base_url: str, items: dict[str, Item], name: str) -> None:
    """APT resumes a partial download with Range: bytes=N- and If-Range: <Last-Modified>."""
    item = items[name]
    first = raw(base_url, item.path)
    offset = item.size // 2
    headers = {"Range": f"bytes={offset}-", "If-Range": first.header("Last-Modified")}
    reply = raw(base_url, item.path, headers=headers)
    assert reply.status == 206
    assert reply.header("Content-Range") == f"bytes {offset}-{item.size - 1}/{item.size}"
    assert first.body[:offset] + reply.body == item.data


# ---------------------------------------------------------------- media types


MEDIA_TYPES = [
    (
        "/debian/{new}/pool/main/h/hello/hello_1.1%7erc1-1_all.deb",
        "application/vnd.debian.binary-package",
    ),
    ("/debian/pool/main/h/hello/hello_1.0-1.dsc", "text/prs.lines.tag"),
    ("/debian/{old}/pool/main/h/hello/hello_1.0-1.dsc", "text/prs.lines.tag"),
    ("/mediawiki/1.41/mediawiki-1.41.1.tar.gz", "application/gzip"),
    ("/mediawiki/1.41/mediawiki-1.41.1.tar.gz.sig", "application/pgp-signature"),
    ("/mediawiki/1.41/mediawiki-1.41.1.tar.gz.asc", "application/pgp-signature"),
    ("/debian/{new}/dists/bookworm/main/binary-amd64/Packages.gz", "application/gzip"),
    ("/debian/{new}/dists/bookworm/main/binary-amd64/Packages", "text/plain"),
    ("/debian/{new}/dists/bookworm/InRelease", "text/plain"),
    ("/debian/{new}/dists/bookworm/Release", "text/plain"),
    ("/apt/dists/bookworm-mediawiki/InRelease", "text/plain"),
    ("/debian/keyring.gpg", "application/pgp-keys"),
    ("/apt/keyring.gpg", "application/pgp-keys"),
]


@pytest.mark.parametrize(("template", "media"), MEDIA_TYPES)
def test_media_types(base_url: str, sample_host: SampleHost, template: str, media: str) -> None:
    reply = raw(base_url, place(sample_host, template))
    assert reply.status == 200
    content_type = reply.header("Content-Type")
    assert content_type.split(";")[0].strip() == media
    if media != "text/plain":
        assert ";" not in content_type, content_type


def test_keyring_is_the_configured_keyring(base_url: str, sample_host: SampleHost) -> None:
    reply = raw(base_url, "/debian/keyring.gpg")
    assert reply.status == 200
    assert reply.body == sample_host.keyring.read_bytes()


# ---------------------------------------------------------------- no content coding


NO_CODING = [
    ("/mediawiki/1.41/mediawiki-1.41.1.tar.gz", "{files}/mediawiki/1.41/mediawiki-1.41.1.tar.gz"),
    (
        "/debian/{new}/dists/bookworm/main/binary-amd64/Packages.gz",
        "{snap}/dists/bookworm/snapshots/{new}/main/binary-amd64/Packages.gz",
    ),
    # Packages.gz lies beside it: the answer must still be the uncompressed file, uncoded.
    (
        "/debian/{new}/dists/bookworm/main/binary-amd64/Packages",
        "{snap}/dists/bookworm/snapshots/{new}/main/binary-amd64/Packages",
    ),
    (
        "/apt/dists/bookworm-mediawiki/main/binary-amd64/Packages",
        "{repo}/dists/bookworm-mediawiki/main/binary-amd64/Packages",
    ),
    ("/debian/{new}/dists/bookworm/InRelease", "{snap}/dists/bookworm/snapshots/{new}/InRelease"),
    (
        "/debian/{new}/pool/main/h/hello/hello_1.1%7erc1-1_all.deb",
        "{snap}/pool/main/h/hello/hello_1.1~rc1-1_all.deb",
    ),
]


@pytest.mark.parametrize(("template", "file"), NO_CODING)
def test_no_content_encoding_even_when_the_client_accepts_one(
    base_url: str, sample_host: SampleHost, template: str, file: str
) -> None:
    path = place(sample_host, template)
    data = Path(place(sample_host, file)).read_bytes()
    for method in ("GET", "HEAD"):
        reply = raw(base_url, path, method=method, headers={"Accept-Encoding": "gzip, br"})
        assert reply.status == 200
        assert reply.header("Content-Encoding") is None, (method, reply.headers.items())
        assert int(reply.header("Content-Length")) == len(data)
        if method == "GET":
            assert sha256(reply.body) == sha256(data)


# ---------------------------------------------------------------- Cache-Control by class


CACHE_CONTROL = [
    ("/debian/{new}/pool/main/h/hello/hello_1.1%7erc1-1_all.deb", IMMUTABLE),
    ("/debian/pool/main/h/hello/hello_1.0-1_all.deb", IMMUTABLE),
    ("/debian/{new}/dists/bookworm/main/binary-amd64/Packages.gz", IMMUTABLE),
    ("/debian/{old}/dists/jessie/updates/main/binary-amd64/Packages", IMMUTABLE),
    ("/debian/{new}/dists/bookworm/InRelease", SIGNED),
    ("/debian/{new}/dists/bookworm/Release", SIGNED),
    ("/debian/{new}/dists/bookworm/Release.gpg", SIGNED),
    ("/debian/{old}/dists/jessie/updates/InRelease", SIGNED),
    ("/apt/dists/bookworm-mediawiki/InRelease", SIGNED),
    ("/apt/dists/bookworm-mediawiki/main/binary-amd64/Packages", SIGNED),
    ("/apt/dists/bookworm-mediawiki/main/binary-amd64/Packages.gz", SIGNED),
    ("/apt/pool/main/m/mediawiki-tools/mediawiki-tools_1.0-1_all.deb", IMMUTABLE),
    ("/mediawiki/1.41/mediawiki-1.41.1.tar.gz", FILES),
    ("/mediawiki/1.41/mediawiki-1.41.1.tar.gz.sig", FILES),
    ("/tagged/5.0/debian/dists/bookworm/InRelease", IMMUTABLE),
    ("/tagged/5.0/debian/pool/main/h/hello/hello_1.0-1_all.deb", IMMUTABLE),
]


@pytest.mark.parametrize(("template", "expected"), CACHE_CONTROL)
def test_cache_control_by_class(
    base_url: str, sample_host: SampleHost, template: str, expected: str
) -> None:
    path = place(sample_host, template)
    reply = raw(base_url, path)
    assert reply.status == 200, path
    assert reply.header("Cache-Control") == expected
    head = raw(base_url, path, method="HEAD")
    assert head.header("Cache-Control") == expected


# ---------------------------------------------------------------- methods


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"])
def test_other_methods_are_405(base_url: str, items: dict[str, Item], method: str) -> None:
    reply = raw(base_url, items["deb"].path, method=method, headers={"Content-Length": "0"})
    assert reply.status == 405
    assert reply.header("Allow") == "GET, HEAD"
    assert_no_store(reply)


# ---------------------------------------------------------------- 404s


NOT_FOUND = [
    "/apt/dists/nosuch/InRelease",
    "/debian/{new}/dists/bookworm/main/binary-amd64/Packages.xz",  # existing serial, no such file
    "/debian/{new}/dists/nosuch/InRelease",  # unknown codename
    "/debian/2099010101/pool/main/h/hello/hello_1.0-1_all.deb",  # pool through an unknown serial
    "/debian/pool/main/h/hello/hello_9.9-9_all.deb",
    "/apt/conf/distributions",  # reprepro internals
    "/apt/db/packages.db",
    "/tagged/5.0/debian/conf/distributions",
    "/tagged/5.0/debian/db/packages.db",
    "/debian/conf/distributions",
    "/debian/db/packages.db",
    "/mediawiki/1.41/mediawiki-9.9.9.tar.gz",
    "/tagged/9.9/debian/dists/bookworm/InRelease",
]


@pytest.mark.parametrize("template", NOT_FOUND)
def test_plain_404(base_url: str, sample_host: SampleHost, template: str) -> None:
    """APT falls back from InRelease to Release only on 404; 403/410/5xx fail the update."""
    for method in ("GET", "HEAD"):
        reply = raw(base_url, place(sample_host, template), method=method)
        assert reply.status == 404, method
        assert_no_store(reply)


def test_unknown_serial_404_lists_the_serials_of_the_codename(
    base_url: str, sample_host: SampleHost
) -> None:
    reply = raw(base_url, "/debian/2099010101/dists/bookworm/InRelease")
    assert reply.status == 404
    assert_no_store(reply)
    assert reply.header("Content-Type").startswith("text/plain")
    text = reply.body.decode()
    for serial in sample_host.serials:
        assert serial in text


# ---------------------------------------------------------------- percent-encoding


@pytest.mark.parametrize(
    ("template", "file"),
    [
        ("/debian/{new}/pool/main/h/hello/hello_1.1%7erc1-1_all.deb", "hello_1.1~rc1-1_all.deb"),
        ("/debian/{new}/pool/main/h/hello/hello_1.1%7Erc1-1_all.deb", "hello_1.1~rc1-1_all.deb"),
        ("/debian/{new}/pool/main/h/hello/hello_1.1~rc1-1_all.deb", "hello_1.1~rc1-1_all.deb"),
        ("/debian/pool/main/h/hello/hello_1.1%7erc1-1.dsc", "hello_1.1~rc1-1.dsc"),
        ("/debian/{old}/pool/main/h/hello/hello_0.9%2bdeb8u1_all.deb", "hello_0.9+deb8u1_all.deb"),
        ("/debian/{old}/pool/main/h/hello/hello_0.9%2Bdeb8u1_all.deb", "hello_0.9+deb8u1_all.deb"),
        ("/debian/{old}/pool/main/h/hello/hello_0.9+deb8u1_all.deb", "hello_0.9+deb8u1_all.deb"),
        ("/debian/{new}/pool/main/h/hello/hello_0.9%2bdeb8u1.dsc", "hello_0.9+deb8u1.dsc"),
    ],
)
def test_percent_encoded_pool_names(
    base_url: str, sample_host: SampleHost, template: str, file: str
) -> None:
    reply = raw(base_url, place(sample_host, template))
    assert reply.status == 200
    assert reply.body == (sample_host.snapshots_root / "pool/main/h/hello" / file).read_bytes()


# ---------------------------------------------------------------- slash codename


@pytest.mark.parametrize("which", [0, 1])
@pytest.mark.parametrize("name", ["InRelease", "Release", "main/binary-amd64/Packages.gz"])
def test_slash_codename(base_url: str, sample_host: SampleHost, which: int, name: str) -> None:
    serial = sample_host.serials[which]
    reply = raw(base_url, f"/debian/{serial}/dists/jessie/updates/{name}")
    assert reply.status == 200
    on_disk = sample_host.snapshots_root / "dists/jessie/updates/snapshots" / serial / name
    assert reply.body == on_disk.read_bytes()


# ---------------------------------------------------------------- redirects and directories


@pytest.mark.parametrize(
    ("template", "location"),
    [
        ("/debian", "/debian/"),
        ("/apt", "/apt/"),
        ("/mediawiki/1.41", "/mediawiki/1.41/"),
        ("/debian/{new}/pool/main/", "/debian/pool/main/"),
        ("/debian/{old}/pool/main/h/hello/", "/debian/pool/main/h/hello/"),
    ],
)
def test_redirects(base_url: str, sample_host: SampleHost, template: str, location: str) -> None:
    path = place(sample_host, template)
    reply = raw(base_url, path)
    assert reply.status == 301
    assert urljoin(base_url + path, reply.header("Location")) == base_url + location


def test_redirect_keeps_the_query(base_url: str) -> None:
    reply = raw(base_url, "/mediawiki/1.41?C=M")
    assert reply.status == 301
    assert urlsplit(reply.header("Location")).query == "C=M"


@pytest.mark.parametrize(
    "template",
    ["/debian/", "/debian/pool/main/", "/debian/{new}/", "/mediawiki/1.41/", "/apt/dists/"],
)
def test_directory_urls_are_generated_pages(
    base_url: str, sample_host: SampleHost, template: str
) -> None:
    reply = raw(base_url, place(sample_host, template))
    assert reply.status == 200
    assert reply.header("Content-Type") == "text/html; charset=utf-8"
    assert reply.header("Cache-Control") == VOLATILE
    assert reply.header("Vary") == "Accept-Encoding"
    assert reply.header("Content-Encoding") is None
    assert b"<html" in reply.body


@pytest.mark.parametrize(("accept", "coding"), [("br", "br"), ("gzip", "gzip"),
                                                ("gzip, br", "br"), ("br;q=0, gzip", "gzip"),
                                                ("identity", None), (None, None)])  # fmt: skip
def test_generated_pages_are_negotiated(
    base_url: str, accept: str | None, coding: str | None
) -> None:
    plain = raw(base_url, "/debian/")  # a page of MIN_SIZE or more: it has variants
    assert len(plain.body) >= MIN_SIZE
    reply = raw(base_url, "/debian/", headers={"Accept-Encoding": accept} if accept else {})
    assert reply.status == 200 and reply.header("Content-Encoding") == coding
    assert reply.header("Vary") == "Accept-Encoding"
    decode = {"br": brotli.decompress, "gzip": gzip.decompress, None: bytes}[coding]
    assert decode(reply.body) == plain.body
    if coding:
        assert reply.header("ETag") != plain.header("ETag")  # an ETag per variant
        again = raw(base_url, "/debian/",
                    headers={"Accept-Encoding": accept, "If-None-Match": reply.header("ETag")})  # fmt: skip
        assert again.status == 304 and again.header("Vary") == "Accept-Encoding"


@pytest.mark.parametrize(
    "template",
    [
        "/debian/{new}/dists/bookworm/main/binary-amd64/Packages",
        "/mediawiki/1.41/mediawiki-1.41.0.tar.gz",
    ],
)
def test_data_files_never_get_a_variant_even_if_one_lies_beside_them(
    base_url: str, sample_host: SampleHost, template: str
) -> None:
    reply = raw(base_url, place(sample_host, template), headers={"Accept-Encoding": "br, gzip"})
    assert reply.status == 200 and reply.header("Content-Encoding") is None
    assert reply.header("Vary") is None


# ---------------------------------------------------------------- malformed request paths


def test_over_long_url_is_414(base_url: str) -> None:
    reply = raw(base_url, "/mediawiki/" + "a" * 4989)
    assert reply.status == 414
    assert_no_store(reply)


@pytest.mark.parametrize(
    "path", ["/mediawiki/%00", "/debian/pool/%00.deb", "/mediawiki/%zz", "/debian/%2"]
)
def test_bad_bytes_in_path_are_400(base_url: str, path: str) -> None:
    reply = raw(base_url, path)
    assert reply.status == 400
    assert_no_store(reply)


# ---------------------------------------------------------------- trace files


@pytest.fixture
def trace_paths(sample_host: SampleHost) -> Iterator[tuple[Path, Path]]:
    """The trace another tool wrote under the root, and the generated one; both restored after."""
    under_root = sample_host.snapshots_root / "project/trace/debian"
    generated = sample_host.output / "debian/project/trace/debian"
    saved = {path: path.read_bytes() for path in (under_root, generated) if path.exists()}
    made: list[Path] = []
    for path in (under_root, generated):
        missing = [d for d in path.parents if not d.exists()]
        made.extend(reversed(missing))
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        yield under_root, generated
    finally:
        for path in (under_root, generated):
            if path in saved:
                path.write_bytes(saved[path])
            else:
                path.unlink(missing_ok=True)
        for directory in reversed(made):  # deepest first; only what this fixture created
            with contextlib.suppress(OSError):  # something else may have written there since
                directory.rmdir()


def write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def test_trace_file_generated_wins_over_the_one_under_the_root(
    base_url: str, sample_host: SampleHost, trace_paths: tuple[Path, Path]
) -> None:
    under_root, generated = trace_paths
    new = sample_host.serials[1]
    generated.unlink(missing_ok=True)
    if not under_root.exists():
        write_atomically(
            under_root, f"Thu Jan  1 00:00:00 UTC 2026\nArchive serial: {new}\n".encode()
        )
    reply = raw(base_url, "/debian/project/trace/debian")
    assert reply.status == 200
    assert reply.body == under_root.read_bytes()
    assert reply.header("Cache-Control") == VOLATILE
    assert reply.header("Content-Encoding") is None

    ours = f"Fri Jan  2 00:00:00 UTC 2026\nDate: Fri, 02 Jan 2026 00:00:00 +0000\nArchive serial: {new}\nCreator: test\n"
    write_atomically(generated, ours.encode())
    assert ours.encode() != under_root.read_bytes()
    reply = raw(base_url, "/debian/project/trace/debian")
    assert reply.status == 200
    assert reply.body == ours.encode()
    assert reply.header("Cache-Control") == VOLATILE
    etag = reply.header("ETag")
    assert STRONG_ETAG.match(etag), etag
    again = raw(base_url, "/debian/project/trace/debian", headers={"If-None-Match": etag})
    assert again.status == 304


# ---------------------------------------------------------------- pipelining


def pipeline(
    base_url: str, requests: list[tuple[str, str]]
) -> list[tuple[int, dict[str, str], bytes]]:
    """Send every request in one write on one connection (the last asks to close), read all."""
    parts = urlsplit(base_url)
    host = f"{parts.hostname}:{parts.port}"
    wire = b""
    for index, (method, path) in enumerate(requests):
        connection = "close" if index == len(requests) - 1 else "keep-alive"
        wire += (
            f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: {connection}\r\n\r\n".encode()
        )
    received = bytearray()
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(wire)
        while chunk := sock.recv(65536):
            received += chunk
    replies = []
    pos = 0
    for method, _ in requests:
        head_end = received.index(b"\r\n\r\n", pos)
        status_line, *lines = received[pos:head_end].decode("latin-1").split("\r\n")
        status = int(status_line.split()[1])
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        assert "chunked" not in headers.get("transfer-encoding", ""), headers
        length = 0 if method == "HEAD" or status == 304 else int(headers["content-length"])
        body = bytes(received[head_end + 4 : head_end + 4 + length])
        assert len(body) == length, "connection closed before the body was complete"
        replies.append((status, headers, body))
        pos = head_end + 4 + length
    assert received[pos:] == b"", "bytes left over after the last response"
    return replies


def test_pipelined_requests_are_answered_in_order(
    base_url: str, sample_host: SampleHost, items: dict[str, Item]
) -> None:
    """APT pipelines up to 10 requests per connection and needs the answers in order."""
    new = sample_host.serials[1]
    packages = f"dists/bookworm/snapshots/{new}/main/binary-amd64/Packages"
    wanted = [
        (items["inrelease"].path, items["inrelease"].file),
        (items["deb"].path, items["deb"].file),
        (
            f"/debian/{new}/dists/bookworm/main/binary-amd64/Packages",
            sample_host.snapshots_root / packages,
        ),
        (items["tarball"].path, items["tarball"].file),
        (
            f"/debian/{new}/dists/bookworm/Release",
            sample_host.snapshots_root / f"dists/bookworm/snapshots/{new}/Release",
        ),
    ]
    replies = pipeline(base_url, [("GET", path) for path, _ in wanted])
    assert len(replies) == 5
    for (path, file), (status, headers, body) in zip(wanted, replies, strict=True):
        assert status == 200, path
        assert body == file.read_bytes(), path
        assert headers["etag"] == etag_of(file), path


def test_pipelined_head_sends_no_body(base_url: str, items: dict[str, Item]) -> None:
    """A HEAD answered with body bytes would corrupt the next pipelined response."""
    deb, inrelease = items["deb"], items["inrelease"]
    requests = [
        ("HEAD", deb.path),
        ("GET", inrelease.path),
        ("HEAD", inrelease.path),
        ("GET", deb.path),
    ]
    replies = pipeline(base_url, requests)
    assert [status for status, _, _ in replies] == [200, 200, 200, 200]
    assert int(replies[0][1]["content-length"]) == deb.size
    assert replies[1][2] == inrelease.data
    assert replies[3][2] == deb.data


def test_parser_errors_are_not_cached_either(base_url: str) -> None:
    """A request line aiohttp itself refuses is a 400 with no-store like every other 4xx."""
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(b"GET /mediawiki/a b.txt HTTP/1.1\r\nHost: x\r\n\r\n")
        head = sock.recv(65536).split(b"\r\n\r\n")[0].decode()
    assert head.split()[1] == "400"
    assert "Cache-Control: no-store" in head
