"""Two replicas agree: the same roots (`rsync -a`), two configs with one public_url, two
outputs built at different moments. Every generated file is byte-identical, and a live
`serve` of each answers the same ETag and Last-Modified for pages, feeds, traces and data
files, so a cache in front may revalidate against either host of an active/passive pair."""

from __future__ import annotations

import calendar
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from snapfront.base.config import load
from snapfront.generator.build import Builder
from snapfront.generator.model import DAY
from snapfront.sample import SampleHost
from tests.health_support import private_config
from tests.support import fetch, running_server

pytestmark = pytest.mark.live


PUBLIC = 'public_url = "https://releases.example.org/"\n'
ROOTS = ("snapshots", "repos", "tagged", "releases", "keyring.gpg")
URLS = (
    "/debian/",
    "/debian/index.json",
    "/debian/{new}/",
    "/debian/{new}/changes/",
    "/debian/project/trace/debian",
    "/debian/pool/main/h/hello/",
    "/debian/{new}/dists/bookworm/InRelease",
    "/debian/{new}/pool/main/h/hello/hello_1.1%7erc1-1_all.deb",
    "/apt/",
    "/apt/dists/bookworm-mediawiki/Release",
    "/tagged/",
    "/",
    "/index.json",
    "/mediawiki/",
    "/mediawiki/feed.atom",
    "/mediawiki/1.41/",
    "/mediawiki/1.41/mediawiki-1.41.1.tar.gz",
    "/mediawiki/1.41/mediawiki-1.41.1.tar.gz.sig",
)


def _replica(host: SampleHost, where: Path, roots: Path) -> Path:
    """A config over `roots` (a copy of the host's, or the host's own) with its own output."""
    where.mkdir()
    config = private_config(host, where, PUBLIC)
    if roots != host.dir:
        rsync = shutil.which("rsync")
        assert rsync, "rsync is missing: apt-get install rsync"
        for name in ROOTS:
            subprocess.run([rsync, "-a", host.dir / name, roots], check=True)
        config.write_text(config.read_text().replace(f'"{host.dir}/', f'"{roots}/'))
    return config


def _generated(output: Path) -> dict[str, bytes]:
    """Every generated file (pages, index.json, feeds, traces, .br/.gz), state left out."""
    return {
        p.relative_to(output).as_posix(): p.read_bytes()
        for p in output.rglob("*")
        if p.is_file() and ".snapfront" not in p.relative_to(output).parts
    }


def _differing(a: dict[str, bytes], b: dict[str, bytes]) -> list[str]:
    return sorted(name for name in a.keys() | b.keys() if a.get(name) != b.get(name))


def _build(config: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "snapfront.cli", "build", "--config", str(config)],
        check=True, capture_output=True,
    )  # fmt: skip


def test_two_replicas_render_and_answer_alike(sample_host: SampleHost, tmp_path: Path) -> None:
    roots = tmp_path / "b-roots"
    roots.mkdir()
    one = _replica(sample_host, tmp_path / "a", sample_host.dir)
    two = _replica(sample_host, tmp_path / "b", roots)
    _build(one)
    time.sleep(1.5)  # another moment: the passive builds after its rsync
    _build(two)
    pages_a, pages_b = _generated(tmp_path / "a" / "output"), _generated(tmp_path / "b" / "output")
    assert len(pages_a) > 50, sorted(pages_a)
    assert _differing(pages_a, pages_b) == []

    new = sample_host.serials[1]
    with running_server(one, "--no-watch") as a, running_server(two, "--no-watch") as b:
        for url in (u.format(new=new) for u in URLS):
            for coding in ({}, {"Accept-Encoding": "br"}):
                got = [fetch(s.url.rstrip("/") + url, headers=coding) for s in (a, b)]
                assert [r.status for r in got] == [200, 200], (url, got[0].body[:200])
                assert got[0].body == got[1].body, url
                assert got[0].header("Last-Modified"), url  # every file has both validators
                for name in ("ETag", "Last-Modified", "Content-Encoding", "Cache-Control"):
                    assert got[0].header(name) == got[1].header(name), (url, name)
                # a cache revalidating against the other host gets a 304
                tag = got[0].header("ETag")
                other = fetch(b.url.rstrip("/") + url, headers={**coding, "If-None-Match": tag})
                assert other.status == 304, url


def _front(output: Path) -> dict:
    return json.loads((output / "debian" / "index.json").read_text())


def test_days_left_agree_between_builds_minutes_apart(
    sample_host: SampleHost, tmp_path: Path
) -> None:
    """Pages count days left before Valid-Until as of 00:00 UTC of the day they are built:
    builds minutes apart render the same bytes even when a whole day before Valid-Until
    passes between them; on the next UTC day both count one day less."""
    one = load(str(_replica(sample_host, tmp_path / "a", sample_host.dir)))
    two = load(str(_replica(sample_host, tmp_path / "b", sample_host.dir)))
    Builder(one).full()
    until = min(s["valid_until"] for s in _front(Path(one.output))["serials"])
    crossing = until - 100 * DAY  # 100 whole days before Valid-Until, to the second
    midnight = crossing // DAY * DAY
    if not midnight + 600 < crossing < midnight + DAY - 600:
        crossing += 1200  # keep both builds inside one UTC day
    Builder(one).full(now=crossing - 300)
    Builder(two).full(now=crossing + 300)
    a, b = _generated(Path(one.output)), _generated(Path(two.output))
    assert _differing(a, b) == []
    days = calendar.timegm((*time.gmtime(until)[:3], 0, 0, 0)) // DAY - crossing // DAY
    assert {s["days_left"] for s in _front(Path(one.output))["serials"]} == {days}

    next_day = (crossing // DAY + 1) * DAY
    Builder(one).full(now=next_day + 10)
    Builder(two).full(now=next_day + 4000)
    assert _differing(_generated(Path(one.output)), _generated(Path(two.output))) == []
    assert {s["days_left"] for s in _front(Path(two.output))["serials"]} == {days - 1}
