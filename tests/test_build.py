"""`snapfront build` on a host of its own: what it writes, what it never touches, idempotence."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from snapfront import sample
from snapfront.sample import SampleHost

pytestmark = pytest.mark.live


def build(host: SampleHost) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "snapfront.cli", "build", "--config", str(host.config)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def tree_state(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")
            if p.is_file() and not p.is_symlink()}  # fmt: skip


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> SampleHost:
    sample.require_tools()
    built = sample.build_sample_host(tmp_path_factory.mktemp("build") / "host")
    (built.files_root / "mediawiki" / "1.41" / "HEADER.html").write_text(
        "<p>Hand-written header</p>"
    )
    with open(built.config, "a") as fh:  # every page in each build: what these tests check
        fh.write('\n[pages]\npool = "eager"\n')
    return built


def test_build_writes_pages_and_rebuild_changes_nothing(host: SampleHost) -> None:
    roots = [host.snapshots_root, host.repository_root, host.tagged_root, host.files_root]
    before = {str(r): tree_state(r) for r in roots}
    first = build(host)
    assert re.search(r"hashed: [1-9]", first), first
    out = host.output
    for page in ["index.html", "debian/index.html", f"debian/{host.serials[0]}/index.html",
                 "debian/pool/main/h/hello/index.html", "apt/index.html", "tagged/5.0/debian/index.html",
                 "mediawiki/1.41/index.html", "mediawiki/feed.atom", "debian/project/trace/debian"]:  # fmt: skip
        assert (out / page).is_file(), page
    assert (out / "debian/index.html.br").is_file() and (out / "debian/index.html.gz").is_file()
    assert not (out / "debian/project/trace/debian.br").exists()  # traces are not compressed
    assert {str(r): tree_state(r) for r in roots} == before, "a data root was written"

    state = tree_state(out)
    second = build(host)
    assert "hashed: 0" in second and "files written: 0" in second, second
    assert tree_state(out) == state, "an unchanged tree must rewrite nothing"


def test_index_json_and_feed(host: SampleHost) -> None:
    build(host)
    listing = json.loads((host.output / "mediawiki/1.41/index.json").read_text())
    entries = {e["name"]: e for e in listing["entries"]}
    tarball = host.files_root / "mediawiki/1.41/mediawiki-1.41.1.tar.gz"
    entry = entries["mediawiki-1.41.1.tar.gz"]
    assert entry["size"] == tarball.stat().st_size and entry["type"] == "file"
    assert entry["sha256"] == __import__("hashlib").sha256(tarball.read_bytes()).hexdigest()
    assert "mediawiki-1.41.1.tar.gz.sig" not in entries
    feed = ET.fromstring((host.output / "mediawiki/feed.atom").read_bytes())
    titles = [e.findtext("{http://www.w3.org/2005/Atom}title") for e in
              feed.findall("{http://www.w3.org/2005/Atom}entry")]  # fmt: skip
    assert "mediawiki-1.41.1.tar.gz" in titles and not any(t.endswith(".sig") for t in titles)
    page = (host.output / "mediawiki/1.41/index.html").read_text()
    assert "<p>Hand-written header</p>" in page
    readme = (host.output / "index.html").read_text()
    assert "<h2>Sample releases</h2>" in readme  # README.md above the listing, its # an h2
    assert readme.count("<h1") == 1


def test_trace_names_the_newest_complete_serial(host: SampleHost) -> None:
    build(host)
    trace = (host.output / "debian/project/trace/debian").read_text().splitlines()
    assert f"Archive serial: {host.serials[1]}" in trace
    assert trace[1].startswith("Date: ") and "Creator: snapfront" in "\n".join(trace)
    # The date is the newest InRelease of that serial's distributions (reprepro writes them last).
    newest = max(
        int(
            os.path.getmtime(
                host.snapshots_root / "dists" / c / "snapshots" / host.serials[1] / "InRelease"
            )
        )
        for c in ("bookworm", "jessie/updates")
    )
    assert parsedate_to_datetime(trace[1][len("Date: ") :]).timestamp() == newest


def test_a_dropped_snapshot_loses_its_pages(host: SampleHost, tmp_path: Path) -> None:
    build(host)
    old = host.serials[0]
    for codename in ("bookworm", "jessie/updates"):
        snap = host.snapshots_root / "dists" / codename / "snapshots" / old
        shutil.move(snap, tmp_path / codename.replace("/", "_"))
    try:
        out = build(host)
        assert not (host.output / "debian" / old).exists(), out
        assert old not in (host.output / "debian/index.html").read_text()
        assert (
            f"Archive serial: {host.serials[1]}"
            in (host.output / "debian/project/trace/debian").read_text()
        )
    finally:
        for codename in ("bookworm", "jessie/updates"):
            snap = host.snapshots_root / "dists" / codename / "snapshots" / old
            shutil.move(tmp_path / codename.replace("/", "_"), snap)
    build(host)
    assert (host.output / "debian" / old / "index.html").exists()
