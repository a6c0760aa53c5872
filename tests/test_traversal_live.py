"""Path traversal against the live origin: hostile request paths sent byte for byte.

The `canary` fixture puts a secret beside the roots and symlinks inside the roots that point
at it. Whatever the path, no response may carry the secret, reach outside a root, or crash.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from snapfront.sample import SampleHost
from tests.support import Reply, escape_links, fetch

pytestmark = pytest.mark.live


REFUSED = {400, 404, 414}

# {old}/{new} are the sample host's serials. Paths are sent exactly as written.
HOSTILE = [
    "/../../etc/passwd",
    "/../canary.txt",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/%2E%2E/%2E%2E/canary.txt",
    "/.%2e/canary.txt",
    "/mediawiki/%2e%2e%2f%2e%2e%2fcanary.txt",
    "/mediawiki/1.41/../../../canary.txt",
    "/mediawiki/1.41/%2e%2e/%2e%2e/%2e%2e/canary.txt",
    "/%2e%2e%2fcanary.txt",
    "/..%2fcanary.txt",
    "/..%5ccanary.txt",
    "/..\\canary.txt",
    "/%2e%2e%5c%2e%2e%5ccanary.txt",
    "/debian/{new}/pool/../../canary.txt",
    "/debian/{old}/pool/%2e%2e/%2e%2e/canary.txt",
    "/debian/{new}/dists/bookworm/../../../../canary.txt",
    "/debian/{new}/dists/..%2f..%2f..%2fcanary.txt",
    "/debian/..%2f..%2fcanary.txt",
    "/debian/pool/main/h/hello/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/canary.txt",
    "/debian/project/trace/../../../canary.txt",
    "/debian/project/trace/..%2f..%2f..%2fcanary.txt",
    "/tagged/..%2fcanary.txt",
    "/tagged/5.0/../../canary.txt",
    "/tagged/5.0/debian/../../../canary.txt",
    # Symlinks inside the roots that point outside (made by the canary fixture).
    "/apt/dists/escape/secret.txt",
    "/apt/dists/escape",
    "/apt/dists/escape/",
    "/escape/secret.txt",
    "/escape",
    "/escape/",
    "/mediawiki/escape.txt",
    "/debian/pool/escape.deb",
    "/debian/{new}/pool/escape.deb",
    # The secret beside the roots, named directly.
    "/canary.txt",
    "/debian/canary.txt",
    "/outside/secret.txt",
    # reprepro internals and private names.
    "/apt/conf/distributions",
    "/apt/db/",
    "/apt/db/packages.db",
    "/apt/db/lockfile",
    "/apt/incoming/",
    "/apt/logs/x",
    "/apt/tmp/x",
    "/tagged/5.0/debian/conf/distributions",
    "/tagged/5.0/debian/db/packages.db",
    "/debian/conf/distributions",
    "/debian/db/packages.db",
    # NUL, hidden names, encodings that decoders get wrong.
    "/%00",
    "/canary.txt%00.tar.gz",
    "/mediawiki/1.41/mediawiki-1.41.1.tar.gz%00",
    "/.hidden",
    "/mediawiki/.git/config",
    "/debian/pool/.git/HEAD",
    "/%c0%ae%c0%ae/canary.txt",
    "/%c0%ae%c0%ae/",
    "/%e0%80%ae%e0%80%ae/canary.txt",
    "/%252e%252e/canary.txt",
    "/%252e%252e%252fcanary.txt",
    "//etc/passwd",
    "//canary.txt",
    "/debian//pool/../../canary.txt",
    "/debian/keyring.gpg/../..",
    "/debian/keyring.gpg/..",
    "/debian/keyring.gpg/",
    "/C:/Windows/win.ini",
    "/" + "../" * 2000 + "etc/passwd",
]


def place(sample_host: SampleHost, template: str) -> str:
    old, new = sample_host.serials
    return template.replace("{old}", old).replace("{new}", new)


def assert_refused(reply: Reply, path: str, token: bytes) -> None:
    assert token not in reply.body, path
    assert all(token.decode() not in value for _, value in reply.headers.items()), path
    if reply.status == 301:
        location = reply.header("Location") or ""
        # A redirect may only stay on this server: a path, never "//host" or another scheme.
        target = urlsplit(location)
        assert location.startswith("/") and not location.startswith("//"), location
        assert not target.scheme and not target.netloc, location
        return
    assert reply.status in REFUSED, (path, reply.status, reply.body[:200])
    assert reply.header("Cache-Control") == "no-store", path


def test_the_canary_is_in_place(sample_host: SampleHost, canary: bytes) -> None:
    """If the fixture broke, every test below would pass for nothing."""
    for secret in (
        sample_host.dir / "canary.txt",
        sample_host.snapshots_root.parent / "canary.txt",
        sample_host.dir / "outside" / "secret.txt",
    ):
        assert canary in secret.read_bytes(), secret
    for link in escape_links(sample_host):
        assert link.is_symlink(), link
        target = link / "secret.txt" if link.is_dir() else link
        assert canary in target.read_bytes(), link


def test_the_server_does_serve_the_real_neighbours(base_url: str, sample_host: SampleHost) -> None:
    """Control: files next to the escape links are served, so a 404 above is a refusal."""
    new = sample_host.serials[1]
    for path in (
        "/mediawiki/1.41/mediawiki-1.41.1.tar.gz",
        "/apt/dists/bookworm-mediawiki/InRelease",
        f"/debian/{new}/pool/main/h/hello/hello_1.0-1_all.deb",
        "/debian/pool/main/h/hello/hello_1.0-1_all.deb",
        "/tagged/5.0/debian/dists/bookworm/InRelease",
    ):
        assert fetch(base_url, path=path).status == 200, path


def test_hostile_table_is_big_enough() -> None:
    assert len(HOSTILE) >= 25


@pytest.mark.parametrize("template", HOSTILE)
def test_hostile_path(base_url: str, sample_host: SampleHost, canary: bytes, template: str) -> None:
    path = place(sample_host, template)
    for method in ("GET", "HEAD"):
        reply = fetch(base_url, method=method, path=path)
        assert not 200 <= reply.status < 300, (method, path, reply.status)
        assert_refused(reply, path, canary)


# ---------------------------------------------------------------- property test

ATOMS = [
    "..",
    "%2e%2e",
    "%2E%2E",
    ".%2e",
    "%2e",
    "%2f",
    "%2F",
    "%5c",
    "\\",
    "%252e%252e",
    "%c0%ae",
    "canary.txt",
    "escape",
    "escape.txt",
    "escape.deb",
    "secret.txt",
    "outside",
    "debian",
    "pool",
    "main",
    "h",
    "hello",
    "dists",
    "bookworm",
    "jessie",
    "updates",
    "InRelease",
    "project",
    "trace",
    "keyring.gpg",
    "{old}",
    "{new}",
    "mediawiki",
    "1.41",
    "apt",
    "conf",
    "db",
    "tagged",
    "5.0",
    "snapshots",
    "demo",
    "%00",
    ".",
    "",
]
segment = st.lists(st.sampled_from(ATOMS), min_size=1, max_size=3).map("".join)
paths = st.tuples(st.lists(segment, max_size=8), st.booleans()).map(
    lambda parts: "/" + "/".join(parts[0]) + ("/" if parts[1] and parts[0] else "")
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(template=paths)
def test_no_path_leaks_the_canary_or_breaks_the_server(
    base_url: str, sample_host: SampleHost, canary: bytes, template: str
) -> None:
    path = place(sample_host, template)
    reply = fetch(base_url, path=path)
    assert reply.status < 500, (path, reply.status, reply.body[:200])
    assert canary not in reply.body, path
    if 200 <= reply.status < 300:
        # Only a real file under a root can answer 2xx: never a name of the secret.
        assert not any(name in path for name in ("canary.txt", "secret.txt", "escape")), path
