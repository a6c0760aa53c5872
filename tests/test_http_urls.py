"""URLs that name no file, against a live `snapfront serve`: plain 404s (APT falls back from
InRelease to Release only on 404), an unknown serial's 404 listing the serials, redirects to the
directory URL keeping the query, and directory URLs answered with generated pages."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest

from snapfront.sample import SampleHost
from tests.http_support import (
    VOLATILE,
    assert_no_store,
    place,
    raw,
)

# ---------------------------------------------------------------- 404s


pytestmark = pytest.mark.live


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
