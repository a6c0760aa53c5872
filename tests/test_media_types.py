"""The Content-Type each published file gets; APT ignores it, browsers and caches do not."""

from __future__ import annotations

import pytest

from snapfront.rewrite_rules.media_types import media_type

pytestmark = pytest.mark.pure


TEXT = "text/plain; charset=utf-8"
DEB = "application/vnd.debian.binary-package"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("hello_1.0_all.deb", DEB),
        ("hello-udeb_1.0_amd64.udeb", DEB),
        ("hello-dbgsym_1.0_amd64.ddeb", DEB),
        ("HELLO_1.0_ALL.DEB", DEB),
        ("hello_1.0.dsc", "text/prs.lines.tag"),
        ("hello_1.0_amd64.changes", "text/plain; charset=utf-8"),
        ("hello_1.0_amd64.buildinfo", "text/plain; charset=utf-8"),
        ("tails-amd64-6.0.img.sig", "application/pgp-signature"),
        ("hello_1.0.orig.tar.gz.asc", "application/pgp-signature"),
        ("Release.gpg", "application/pgp-signature"),
        ("keyring.gpg", "application/pgp-keys"),
        ("debian-archive-keyring.gpg", "application/pgp-keys"),
        ("Packages.gz", "application/gzip"),
        ("Contents-amd64.gz", "application/gzip"),
        ("Translation-en.bz2", "application/x-bzip2"),
        ("Packages.xz", "application/x-xz"),
        ("Packages.zst", "application/zstd"),
        ("src.tgz", "application/gzip"),
        ("hello_1.0.orig.tar", "application/x-tar"),
        # compressed tarballs are the compressed stream, never a Content-Encoding
        ("hello_1.0.orig.tar.gz", "application/gzip"),
        ("hello_1.0.orig.tar.xz", "application/x-xz"),
        ("hello_1.0.orig.tar.bz2", "application/x-bzip2"),
        ("hello_1.0.orig.tar.zst", "application/zstd"),
        ("index.html", "text/html; charset=utf-8"),
        ("releases.json", "application/json"),
        ("feed.atom", "application/xml"),  # so that browsers apply its stylesheet
        ("feed.xsl", "application/xslt+xml"),
        ("sitemap.xml", "application/xml"),
        ("style.css", "text/css; charset=utf-8"),
        ("app.js", "text/javascript; charset=utf-8"),
        ("logo.svg", "image/svg+xml"),
        ("logo.png", "image/png"),
        ("favicon.ico", "image/vnd.microsoft.icon"),
        ("README.txt", TEXT),
        ("README.md", TEXT),
        ("SHA256SUMS", TEXT),
        ("fix.diff", "text/x-diff"),
        ("fix.patch", "text/x-diff"),
        ("tails-amd64-6.0.iso", "application/x-iso9660-image"),
        ("tails-amd64-6.0.img", "application/octet-stream"),
        ("manual.pdf", "application/pdf"),
        # extension-less APT indices and trace files read as text in a browser
        ("Release", TEXT),
        ("InRelease", TEXT),
        ("Packages", TEXT),
        ("Sources", TEXT),
        ("Index", TEXT),
        ("Contents-amd64", TEXT),
        ("Translation-en", TEXT),
        ("Components-amd64.yml", TEXT),
        ("debian", TEXT),
        ("dists/bookworm/main/binary-amd64/Packages", TEXT),
        # unknown extensions are a download
        ("mirror.example.org", "application/octet-stream"),
        ("data.bin", "application/octet-stream"),
        ("Release.", "application/octet-stream"),
    ],
)
def test_media_type(name: str, expected: str) -> None:
    assert media_type(name) == expected
