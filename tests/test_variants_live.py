"""Precompressed variants only where they pay, and never a stale one: a listing that shrinks
below generator.write.MIN_SIZE loses its .br/.gz, and the running server (which kept the
old .br in memory) answers the new page, uncompressed, to a client that accepts br."""

from __future__ import annotations

import subprocess
import sys

import brotli
import pytest

from snapfront.generator.write import MIN_SIZE
from tests.browser import WIDE, build_wide_host
from tests.support import fetch, running_server, with_listen

pytestmark = pytest.mark.live


def test_a_page_that_loses_its_variant_is_never_answered_by_it(tmp_path) -> None:
    config = build_wide_host(tmp_path)  # a files mount at / whose wide/ holds WIDE tarballs
    page = tmp_path / "output" / "wide" / "index.html"
    variants = [page.with_name("index.html.br"), page.with_name("index.html.gz")]
    assert page.stat().st_size >= MIN_SIZE and all(v.is_file() for v in variants)
    small = [p for p in (tmp_path / "output").rglob("index.html") if p.stat().st_size < MIN_SIZE]
    assert small, "the host has small pages too"
    assert not any(p.with_name(p.name + ".br").exists() for p in small)
    served = with_listen(config, "127.0.0.1:0", tmp_path / "serve.toml")
    with running_server(served, "--no-watch") as server:
        url = server.url + "wide/"
        before = fetch(url, headers={"Accept-Encoding": "br"})
        assert before.header("Content-Encoding") == "br"
        assert b"app-1.150.0.tar.gz" in brotli.decompress(before.body)
        for tarball in sorted((tmp_path / "releases" / "wide").iterdir())[2:]:
            tarball.unlink()  # WIDE - 2 releases withdrawn
        subprocess.run(
            [sys.executable, "-m", "snapfront.cli", "build", "--config", str(config)],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        assert page.stat().st_size < MIN_SIZE and not any(v.exists() for v in variants)
        for accept in ("br", "gzip", "br, gzip"):
            after = fetch(url, headers={"Accept-Encoding": accept})
            assert after.status == 200 and after.header("Content-Encoding") is None, accept
            assert after.body == page.read_bytes() and b"app-1.150.0.tar.gz" not in after.body
            assert after.header("Vary") == "Accept-Encoding"
            assert after.body.count(b".tar.gz</a>") == 2, f"{WIDE} rows should have become 2"
