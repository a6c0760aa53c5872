"""Link check: crawl every generated page from `/` on a running `snapfront serve`.

Two hosts: the demo (snapfront.sample, a files mount at `/`) and a fixture with no mount at
`/` (snapfront generates the front page) whose release tree has odd names (spaces, `+`, `~`,
`%`, unicode, `#`, `?`). Every `href` and `src` must answer 2xx (after redirects), every
mount must be reached from `/`, and no generated page may be orphaned.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from snapfront.base.config import load
from snapfront.generator.build import Builder
from snapfront.generator.plan import Change, affected
from snapfront.sample import SampleHost
from tests.crawl import Crawl, crawl, orphans
from tests.support import Running, fetch, running_server
from tests.test_nginx_differential import free_port, get, running_nginx, snapfront_rules

pytestmark = pytest.mark.live


ODD_NAMES = ["with space", "plus+tilde~", "100%", "ünï cödé", "hash#tag", "what?", "a+b %c#d?é~"]
"""Directory names of the odd release tree; each holds files named after them as well."""


def _odd_tree(root: Path) -> None:
    for name in ODD_NAMES:
        folder = root / "odd" / name
        folder.mkdir(parents=True)
        for file in (f"{name}.tar.gz", f"{name} 1.0.txt"):
            (folder / file).write_text(f"{file}\n")
        (folder / f"{name}.tar.gz.sig").write_text("not really a signature\n")
    (root / "odd" / "#top?.txt").write_text("top\n")
    (root / "README.md").write_text("# Odd releases\n")
    an_hour_ago = time.time() - 3600  # settled: a serve leaves out files still being written
    for path in root.rglob("*"):
        os.utime(path, (an_hour_ago, an_hour_ago))


def _config(
    directory: Path, output: Path, mounts: list[tuple[str, str, Path, Path | None]]
) -> Path:
    text = f'[server]\nlisten = "127.0.0.1:0"\noutput = "{output}"\n'
    for url, kind, root, keyring in mounts:
        text += f'\n[[mount]]\nurl = "{url}"\nkind = "{kind}"\nroot = "{root}"\n'
        text += f'keyring = "{keyring}"\n' if keyring else ""
    config = directory / "snapfront.toml"
    config.write_text(text)
    return config


@pytest.fixture(scope="module")
def demo_config(sample_host: SampleHost, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's own config, with an output directory of this module's (the session's
    server and other modules write theirs)."""
    text = sample_host.config.read_text()
    text = re.sub(r'(?m)^listen = ".*"$', 'listen = "127.0.0.1:0"', text)
    output = tmp_path_factory.mktemp("crawl-demo-output")
    text = re.sub(r'(?m)^output = ".*"$', f'output = "{output}"', text)
    config = sample_host.dir / "crawl-demo.toml"  # beside it: the roots are relative
    config.write_text(text)
    return config


@pytest.fixture(scope="module")
def fixture_config(sample_host: SampleHost, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every mount kind (the sample's snapshots with a slash codename, serials and a pool; its
    repository and tagged roots), an odd release tree, and no mount at `/`."""
    directory = tmp_path_factory.mktemp("crawl-fixture")
    _odd_tree(directory / "releases")
    (directory / "output").mkdir()
    keyring = sample_host.keyring
    return _config(
        directory,
        directory / "output",
        [
            ("/debian/", "snapshots", sample_host.snapshots_root, keyring),
            ("/apt/", "repository", sample_host.repository_root, None),
            ("/tagged/", "tagged", sample_host.tagged_root, keyring),
            ("/releases/", "files", directory / "releases", keyring),
        ],
    )


@pytest.fixture(scope="module")
def demo_server(demo_config: Path) -> Iterator[Running]:
    with running_server(demo_config, timeout=120) as running:
        yield running


@pytest.fixture(scope="module")
def fixture_server(fixture_config: Path) -> Iterator[Running]:
    with running_server(fixture_config, timeout=120) as running:
        yield running


def _check(config: Path, running: Running) -> Crawl:
    loaded = load(str(config))
    result = crawl(running.url.rstrip("/"))
    print(f"{config.name}: {result.counts()}")
    assert not result.broken, f"{result.counts()}\n{result.report()}"
    assert not result.external, sorted(result.external)
    unreached = [m.url for m in loaded.mounts if m.url not in result.pages]
    assert not unreached, f"mounts not reached from /: {unreached}"
    lost = orphans(result, Path(loaded.output))
    assert not lost, f"{len(lost)} generated pages no link leads to: {lost[:20]}"
    assert result.pages >= {"/"} and len(result.pages) >= 40, result.counts()
    return result


def test_demo_host_has_no_dead_link_and_no_orphan_page(
    demo_config: Path, demo_server: Running
) -> None:
    result = _check(demo_config, demo_server)
    assert "/debian/project/trace/" in result.pages
    assert any("/dists/jessie/updates/" in page for page in result.pages)


def test_fixture_host_with_odd_names_and_generated_front_page(
    fixture_config: Path, fixture_server: Running
) -> None:
    result = _check(fixture_config, fixture_server)
    for name in ODD_NAMES:
        assert f"/releases/odd/{name}/" in result.pages, name
    assert "/releases/odd/%23top%3F.txt" in result.targets  # a file: requested, answered
    front = json.loads(_body(fixture_server, "/index.json"))
    assert [r["url"] for r in front["repositories"]] == ["/apt/", "/debian/", "/releases/",
                                                         "/tagged/"]  # fmt: skip
    by_url = {r["url"]: r for r in front["repositories"]}
    assert by_url["/debian/"]["kind"] == "snapshots" and by_url["/apt/"]["keyring"] is None
    assert by_url["/releases/"]["keyring"]["href"] == "/releases/keyring.gpg"
    newest = by_url["/debian/"]["newest"]
    assert (
        re.fullmatch(r"\d{10}", newest["label"]) and newest["href"] == f"/debian/{newest['label']}/"
    )


def _body(running: Running, path: str) -> bytes:
    reply = fetch(running.url, path=path)
    assert reply.status == 200, (path, reply.status)
    return reply.body


def test_nginx_export_serves_the_generated_front_page(
    fixture_config: Path, fixture_server: Running, tmp_path: Path
) -> None:
    """`snapfront rules` for a host with no mount at `/`: nginx answers `/`, `/index.html`
    and `/index.json` with snapfront's bytes and Cache-Control, and 404 for the rest."""
    port = free_port()
    block = snapfront_rules(fixture_config, "--listen", f"127.0.0.1:{port}")
    ours = int(fixture_server.url.rsplit(":", 1)[1].strip("/"))
    with running_nginx(tmp_path, block, port):
        for path in ("/", "/index.html", "/index.json", "/nowhere", "/index.json/", "/debian/"):
            a, b = get(ours, path), get(port, path)
            assert (a.status, a.cache_control, a.digest) == (b.status, b.cache_control, b.digest), (
                path
            )
        assert get(port, "/").status == 200 and b"Repositories" in get(port, "/").body


def test_front_page_follows_a_new_newest_serial(world) -> None:
    """What the watcher does when a snapshot is taken (plan.affected, Builder.update): the
    Repositories section at `/` names the new serial."""
    from tests.lifecycle_support import snapshot_cli

    config = load(str(world.config))
    builder = Builder(config)
    builder.full()
    front = Path(config.output) / "index.html"
    assert f'href="/debian/{max(world.serials)}/"' in front.read_text()
    before = hashlib.sha256(front.read_bytes()).hexdigest()
    taken = snapshot_cli(world, "take", "/debian/")
    assert taken.returncode == 0, taken.stderr
    serial = taken.stdout.strip()
    mount = next(m for m in config.mounts if m.url == "/debian/")
    change = Change(f"dists/bookworm/snapshots/{serial}", is_dir=True, structural=True)
    report = builder.update({mount.url: affected(mount, ("bookworm",), change)})
    assert "/" in report.produced
    assert f'href="/debian/{serial}/">{serial}</a>' in front.read_text()
    assert hashlib.sha256(front.read_bytes()).hexdigest() != before
