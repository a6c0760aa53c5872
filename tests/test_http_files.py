"""A file as APT and caches get it from a live `snapfront serve` (the session's sample host):
the bytes on disk, HEAD like GET, strong validators every replica computes alike; however the
path is spelt (percent-encoded pool names, a slash codename); and the trace file, the generated
one before the one under the root."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from snapfront.sample import SampleHost
from tests.http_support import (
    ITEMS,
    STRONG_ETAG,
    VALIDATED,
    VOLATILE,
    Item,
    etag_of,
    http_date,
    place,
    raw,
    sha256,
)

# ---------------------------------------------------------------- GET and HEAD


pytestmark = pytest.mark.live


@pytest.mark.parametrize("name", sorted(ITEMS))
def test_head_matches_get_and_get_body_is_the_file(
    base_url: str, sample_items: dict[str, Item], name: str
) -> None:
    item = sample_items[name]
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
    base_url: str, sample_items: dict[str, Item], name: str
) -> None:
    item = sample_items[name]
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
