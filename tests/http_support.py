"""What the HTTP tests (tests/test_http_*.py) share: the sample host's files as a client names
them, the cache classes' Cache-Control values, a client that sends paths verbatim, and a strict
multipart/byteranges parser."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path

from snapfront.sample import SampleHost
from tests.support import Reply, fetch

IMMUTABLE = "public, max-age=31536000, immutable"
SIGNED = "public, max-age=120"
VOLATILE = "public, max-age=10, s-maxage=60, stale-while-revalidate=30"
FILES = "public, max-age=86400"
NO_STORE = "no-store"
VALIDATED = ("Content-Length", "ETag", "Last-Modified", "Content-Type", "Cache-Control")
STRONG_ETAG = re.compile(r'"[^"\x00-\x20\x7f]+"\Z')


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


def items_of(sample_host: SampleHost) -> dict[str, Item]:
    """ITEMS on the given host (tests/conftest.py's `sample_items`)."""
    return {
        name: Item(place(sample_host, url), Path(place(sample_host, file)))
        for name, (url, file) in ITEMS.items()
    }


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
