"""The headers a client reads from a live `snapfront serve`: Content-Type of every kind of file,
no Content-Encoding on data files (whatever lies beside them), Cache-Control by cache class, and
generated pages negotiated by Accept-Encoding with Vary and an ETag per variant."""

from __future__ import annotations

import gzip
from pathlib import Path

import brotli
import pytest

from snapfront.generator.write import MIN_SIZE
from snapfront.sample import SampleHost
from tests.http_support import (
    FILES,
    IMMUTABLE,
    SIGNED,
    place,
    raw,
    sha256,
)

# ---------------------------------------------------------------- media types


pytestmark = pytest.mark.live


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


# ---------------------------------------------------------------- generated pages: variants


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
