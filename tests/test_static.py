"""/-/static/: snapfront's own assets (site/static/), and the feed that points at feed.xsl.

Served like any file (ETag, Last-Modified, 304, the files class), nothing but the files of
that one directory; the fingerprinted stylesheet and script the pages link come from the
output, immutable and precompressed. The nginx and Apache exports route the same URLs to the
same bytes.
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import brotli
import pytest

from snapfront.base.site_files import static_dir
from snapfront.generator.assets import assets
from snapfront.rewrite_rules import DEFAULT_CACHE_CONTROL, CacheClass
from tests.support import fetch, fetch_once_settled
from tests.test_apache_export import _require_apache, host_copy, running_apache  # noqa: F401
from tests.test_nginx_differential import get, nginx_port  # noqa: F401

pytestmark = pytest.mark.live


XSL = Path(static_dir()) / "feed.xsl"
ATOM = "{http://www.w3.org/2005/Atom}"
REFUSED = [
    "/-/static/",
    "/-/static/nothing.xsl",
    "/-/static/../static/feed.xsl",
    "/-/static/%2e%2e/templates/page.html",
    "/-/static/..%2ftemplates%2fpage.html",
    "/-/static/%2E%2E/%2E%2E/README.md",
    "/-/static/feed.xsl/",
    "/-/static/x/feed.xsl",
    "/-/static/.hidden",
    "/-/staticfeed.xsl",
    "/-/templates/page.html",
    "/-/static/snapfront.0123456789abcdef.css",  # a fingerprint no snapfront wrote
    "/-/static/page.0123456789abcdef.html",
]
LINKED = [asset.url for asset in assets().values()]
COMPARED = [
    "/-/static/feed.xsl",
    "/-/static/snapfront.css",
    "/-/static",
    *REFUSED[:2],
    *REFUSED[5:9],
    *REFUSED[-2:],
    *LINKED,
]


def test_feed_xsl_is_served_like_a_file(base_url: str) -> None:
    reply = fetch(base_url + "/-/static/feed.xsl")
    assert reply.status == 200 and reply.body == XSL.read_bytes()
    assert reply.header("Content-Type") == "application/xslt+xml"
    assert reply.header("Cache-Control") == DEFAULT_CACHE_CONTROL[CacheClass.FILES]
    assert reply.header("Last-Modified") and reply.header("X-Content-Type-Options") == "nosniff"
    etag = reply.header("ETag")
    assert etag
    again = fetch(base_url + "/-/static/feed.xsl", headers={"If-None-Match": etag})
    assert again.status == 304 and again.body == b""
    head = fetch(base_url + "/-/static/feed.xsl", "HEAD")
    assert head.status == 200 and head.header("Content-Length") == str(len(reply.body))
    moved = fetch(base_url + "/-/static")
    assert moved.status == 301 and moved.header("Location") == "/-/static/"


def test_pages_link_fingerprinted_assets_cached_for_good(base_url: str) -> None:
    page = fetch(base_url + "/debian/").body
    linked = re.findall(rb'<(?:link rel="stylesheet" href|script defer src)="([^"]+)"', page)
    assert [url.decode() for url in linked] == LINKED
    for asset in assets().values():
        reply = fetch(base_url + asset.url)
        assert reply.status == 200
        assert reply.body == (Path(static_dir()) / asset.name).read_bytes()
        assert reply.header("Cache-Control") == DEFAULT_CACHE_CONTROL[CacheClass.IMMUTABLE]
        assert reply.header("Content-Type").startswith(("text/css", "text/javascript"))
        packed = fetch(base_url + asset.url, headers={"Accept-Encoding": "br"})
        assert packed.header("Content-Encoding") == "br" and packed.header("Vary")
        assert brotli.decompress(packed.body) == reply.body
        assert len(packed.body) < len(reply.body) / 2
        again = fetch(base_url + asset.url, headers={"If-None-Match": reply.header("ETag")})
        assert again.status == 304
    plain = fetch(base_url + "/-/static/snapfront.css")  # the plain name still answers
    assert plain.body == assets()["snapfront.css"].data
    assert plain.header("Cache-Control") == DEFAULT_CACHE_CONTROL[CacheClass.FILES]


def test_nothing_else_is_served_there(base_url: str) -> None:
    templates = (Path(static_dir()).parent / "templates" / "page.html").read_bytes()
    for path in REFUSED:
        reply = fetch(base_url + "/", path=path)
        assert reply.status == 404, path
        assert reply.header("Cache-Control") == "no-store", path
        assert templates[:40] not in reply.body, path


def test_the_feed_points_at_the_stylesheet_and_stays_atom(base_url: str) -> None:
    reply = fetch_once_settled(base_url + "/mediawiki/feed.atom", b"mediawiki-1.41.1.tar.gz")
    assert reply.status == 200 and reply.header("Content-Type") == "application/xml"
    head = reply.body.split(b"\n", 2)
    assert head[1] == b'<?xml-stylesheet type="text/xsl" href="/-/static/feed.xsl"?>'
    root = ET.fromstring(reply.body)  # what a feed reader parses
    assert root.tag == f"{ATOM}feed"
    titles = [e.findtext(f"{ATOM}title") for e in root.iter(f"{ATOM}entry")]
    assert "mediawiki-1.41.1.tar.gz" in titles


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def test_nginx_serves_static_like_snapfront(server, nginx_port: int) -> None:  # noqa: F811
    ours = int(server.url.rsplit(":", 1)[1].strip("/"))
    for path in COMPARED:
        a, b = get(ours, path), get(nginx_port, path)
        assert (a.status, a.cache_control, a.location) == (b.status, b.cache_control, b.location)
        if a.status == 200:
            assert _digest(a.body) == _digest(b.body), path


def test_apache_serves_static_like_snapfront(
    server,
    host_copy: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    _require_apache()
    ours = int(server.url.rsplit(":", 1)[1].strip("/"))
    with running_apache(tmp_path, host_copy / "snapfront.toml") as port:
        for path in COMPARED:
            a, b = get(ours, path), get(port, path)
            assert (a.status, a.cache_control, a.location) == (
                b.status,
                b.cache_control,
                b.location,
            )
            if a.status == 200:
                assert _digest(a.body) == _digest(b.body), path
