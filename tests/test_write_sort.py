"""The output writer and the version order, without a server."""

from __future__ import annotations

import functools
import gzip
import os
from pathlib import Path

import brotli
import pytest

from snapfront.generator.hashes import HashCache
from snapfront.generator.naturalsort import newest_first
from snapfront.generator.pages import listing
from snapfront.generator.scan import scan
from snapfront.generator.write import MIN_SIZE, DuplicateOutput, Writer
from snapfront.rewrite_rules import Mount, MountKind

pytestmark = pytest.mark.pure


def files_mount(root: Path) -> Mount:
    return Mount("/", MountKind.FILES, str(root), "files")


def test_versions_sort_naturally_newest_first() -> None:
    assert newest_first(["1.9", "1.10", "1.41", "1.5", "1.41.1"]) == [
        "1.41.1", "1.41", "1.10", "1.9", "1.5",
    ]  # fmt: skip
    assert newest_first(["mediawiki-1.41.0.tar.gz", "mediawiki-1.9.0.tar.gz",
                         "mediawiki-1.41.10.tar.gz", "mediawiki-1.41.2.tar.gz"]) == [
        "mediawiki-1.41.10.tar.gz", "mediawiki-1.41.2.tar.gz", "mediawiki-1.41.0.tar.gz",
        "mediawiki-1.9.0.tar.gz",
    ]  # fmt: skip


def test_listing_pairs_signatures_and_hides_temporaries(tmp_path: Path) -> None:
    for name in ["a-1.10.tar.gz", "a-1.10.tar.gz.sig", "a-1.10.tar.gz.asc", "a-1.9.tar.gz",
                 "orphan.sig", ".a-1.11.tar.gz.Xy12Ab", "Packages.new"]:  # fmt: skip
        (tmp_path / name).write_bytes(name.encode())
    (tmp_path / "1.41").mkdir()
    os.symlink("/etc", tmp_path / "escape")
    hashes = HashCache(str(tmp_path / "out"))
    mount = files_mount(tmp_path)
    rows = listing(
        scan(str(tmp_path), mount), str(tmp_path), functools.partial(hashes.sha256, mount)
    )
    assert [r.name for r in rows] == ["1.41/", "orphan.sig", "a-1.10.tar.gz", "a-1.9.tar.gz"]
    tarball = rows[2]
    assert [(s.label, s.href) for s in tarball.signatures] == [
        ("sig", "a-1.10.tar.gz.sig"), ("asc", "a-1.10.tar.gz.asc"),
    ]  # fmt: skip
    assert tarball.size == len(b"a-1.10.tar.gz") and len(tarball.sha256) == 64
    assert hashes.hashed == 3


def test_hashes_are_kept_by_size_and_mtime(tmp_path: Path) -> None:
    data = tmp_path / "f"
    data.write_bytes(b"one")
    st = data.stat()
    first = HashCache(str(tmp_path / "out"))
    mount = files_mount(tmp_path)
    digest = first.sha256(mount, str(data), st.st_size, st.st_mtime_ns)
    first.save()
    again = HashCache(str(tmp_path / "out"))
    assert again.sha256(mount, str(data), st.st_size, st.st_mtime_ns) == digest
    assert again.hashed == 0
    data.write_bytes(b"two")
    st = data.stat()
    assert again.sha256(mount, str(data), st.st_size, st.st_mtime_ns) != digest
    assert again.hashed == 1


def test_writer_is_atomic_idempotent_and_precompresses(tmp_path: Path) -> None:
    page = b"<html>" + b"listing row " * 500 + b"</html>"
    writer = Writer(str(tmp_path))
    assert writer.write("a/index.html", page)
    assert gzip.decompress((tmp_path / "a/index.html.gz").read_bytes()) == page
    assert brotli.decompress((tmp_path / "a/index.html.br").read_bytes()) == page
    mtimes = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    second = Writer(str(tmp_path))
    assert not second.write("a/index.html", page)
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()} == mtimes
    assert (second.written, second.unchanged) == (0, 1)
    with pytest.raises(DuplicateOutput):
        second.write("a/index.html", page)
    assert not list(tmp_path.rglob("*.tmp"))


def test_writer_drops_variants_that_do_not_pay_and_prunes(tmp_path: Path) -> None:
    writer = Writer(str(tmp_path))
    writer.write("x/index.html", b"<html>" + b"y" * MIN_SIZE + b"</html>")
    writer.write("x/trace", os.urandom(64), compress=True)  # incompressible: no variants
    assert not (tmp_path / "x/trace.gz").exists() and not (tmp_path / "x/trace.br").exists()
    (tmp_path / "x/old").mkdir()
    (tmp_path / "x/old/index.html").write_bytes(b"a page of a snapshot that is gone")
    assert writer.prune(["/x/"]) == 1
    assert not (tmp_path / "x/old/index.html").exists()
    assert (tmp_path / "x/index.html.br").exists()


def test_a_page_below_min_size_has_no_variant_and_loses_the_old_ones(tmp_path: Path) -> None:
    big = b"<html>" + b"listing row " * 500 + b"</html>"
    small = b"<html>" + b"one row " * 100 + b"</html>"
    assert len(small) < MIN_SIZE <= len(big)
    Writer(str(tmp_path)).write("a/index.html", big)
    variants = [tmp_path / "a/index.html.br", tmp_path / "a/index.html.gz"]
    assert all(v.exists() for v in variants)
    shrunk = Writer(str(tmp_path))
    assert shrunk.write("a/index.html", small)  # the directory lost most of its files
    assert not any(v.exists() for v in variants), "a stale variant would answer for the page"
    assert (tmp_path / "a/index.html").read_bytes() == small
    for variant in variants:  # left by an older snapfront beside unchanged bytes
        variant.write_bytes(b"old")
    assert not Writer(str(tmp_path)).write("a/index.html", small)
    assert not any(v.exists() for v in variants)
    assert shrunk.prune(["/a/"]) == 0  # and pruning keeps the page itself


def test_a_small_asset_may_still_be_precompressed(tmp_path: Path) -> None:
    script = b"function listing() { return rows.sort(); }\n" * 40
    assert len(script) < MIN_SIZE
    Writer(str(tmp_path)).write("s/listing.js", script, min_size=0)
    assert brotli.decompress((tmp_path / "s/listing.js.br").read_bytes()) == script
