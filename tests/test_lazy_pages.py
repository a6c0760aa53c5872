"""Pool pages rendered on first request and then kept (`[pages] pool = "lazy"`, the default).

A host of its own: the sample host (reprepro and gpg: snapshots, repository, tagged) plus
3,000 plain files in 150 source directories of the snapshots pool and a few hostile links.
The same roots are built eagerly into one output and served lazily from another: every pool
page a request renders is byte for byte the eager one (HTML, index.json, .br, .gz), with one
ETag across workers and restarts; the watcher and `snapfront build` keep kept pages current
and remove those whose directory went; a pool URL that leaves its root writes nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote, unquote

import pytest

from snapfront import sample
from snapfront.base.config import load
from snapfront.generator.build import build as build_all
from snapfront.generator.kept import KeptPages
from snapfront.generator.on_request import PageRenderer
from snapfront.generator.pool_pages import AHEAD_ENTRIES
from snapfront.generator.render import environment
from snapfront.sample import SampleHost
from tests.crawl import generated_pages
from tests.health_support import private_config
from tests.support import Running, fetch, running_server

pytestmark = pytest.mark.live


SOURCES, FILES = 150, 20
POOL_PREFIXES = ("debian/pool/", "apt/pool/", "tagged/5.0/debian/pool/")
EAGER = '\n[pages]\npool = "eager"\n'
HOSTILE = (
    "/debian/pool/main/loop/",  # pool/main/loop -> .. (a loop: an eager walk skips it)
    "/debian/pool/main/loop/main/loop/",
    "/debian/pool/main/out/",  # -> a directory outside the root
    "/debian/pool/main/cfg/",  # -> conf/: reprepro's internals
    "/debian/pool/main/lib0/pkg0_1.0-1_all.deb/",  # a file, not a directory
    "/debian/pool/main/nothing/",
    "/debian/pool/main/%2e%2e/%2e%2e/conf/",
    "/debian/pool/main/lib0/.hidden/",
    "/apt/pool/main/cfg/",
    "/debian/pool/main/cfg/index.json",
)


def _plain_pool(root: Path) -> None:
    """SOURCES directories of FILES small .debs each (plus a signature), an hour old."""
    old = time.time() - 3600
    for n in range(SOURCES):
        folder = root / "pool" / "main" / f"lib{n % 10}" / f"pkg{n}"
        folder.mkdir(parents=True)
        for i in range(FILES):
            (folder / f"pkg{n}_1.{i}-1_all.deb").write_bytes(b"x" * (i + 1))
        (folder / f"pkg{n}_1.0-1_all.deb.asc").write_text("signature\n")
        for path in (folder, *folder.iterdir()):
            os.utime(path, (old, old))


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> SampleHost:
    sample.require_tools()
    built = sample.build_sample_host(tmp_path_factory.mktemp("lazy") / "host")
    _plain_pool(built.snapshots_root)
    (built.snapshots_root / "pool" / "main" / "lib0" / ".hidden").mkdir()
    outside = built.dir / "outside-pool"
    (outside / "x").mkdir(parents=True)
    links = {
        built.snapshots_root / "pool/main/loop": "..",
        built.snapshots_root / "pool/main/out": str(outside),
        built.snapshots_root / "pool/main/cfg": "../../conf",
        built.repository_root / "pool/main/cfg": "../../conf",
    }
    for link, target in links.items():
        link.symlink_to(target)
    return built


def _config(host: SampleHost, where: Path, extra: str = "", server: str = "") -> Path:
    where.mkdir(parents=True, exist_ok=True)
    return private_config(host, where, server, extra)


def _build(config: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "snapfront.cli", "build", "--config", str(config)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def _pool_files(output: Path) -> dict[str, bytes]:
    """Every generated file of a pool page (variants too), by path under the output."""
    found = {}
    for prefix in POOL_PREFIXES:
        for path in (output / prefix).rglob("*"):
            if path.is_file():
                found[str(path.relative_to(output))] = path.read_bytes()
    return found


def _pool_pages(output: Path) -> list[str]:
    pages = generated_pages(output)
    return sorted(quote(p) for p in pages if p.lstrip("/").startswith(POOL_PREFIXES))


@pytest.fixture(scope="module")
def eager(host: SampleHost, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An eager build of the host: the reference every lazy page must equal."""
    config = _config(host, tmp_path_factory.mktemp("eager"), EAGER)
    _build(config)
    return Path(load(str(config)).output)


@pytest.fixture
def lazy(host: SampleHost, tmp_path: Path) -> Iterator[tuple[Path, Running]]:
    """The same roots served lazily by two workers, with the watcher: (output, server)."""
    config = _config(host, tmp_path / "lazy", server="workers = 2\n")
    with running_server(config, timeout=60) as running:
        yield Path(load(str(config)).output), running


def _get(server: Running, path: str, **headers: str):
    return fetch(server.url, headers=headers, path=path)


def _until(check, timeout: float = 8.0) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_lazy_pages_are_the_eager_build_byte_for_byte(eager: Path, lazy) -> None:
    output, server = lazy
    assert not _pool_files(output), "the first build rendered pool pages"
    pages = _pool_pages(eager)
    assert len(pages) > SOURCES + 10
    for url in pages:
        where = eager / unquote(url).lstrip("/")
        html = _get(server, url)
        assert html.status == 200, url
        assert html.body == (where / "index.html").read_bytes(), url
        json_reply = _get(server, url + "index.json", **{"Accept-Encoding": "gzip"})
        assert json_reply.status == 200, url
        packed = where / "index.json.gz"  # only where the eager build found it worth it
        coding, name = ("gzip", packed.name) if packed.exists() else (None, "index.json")
        assert json_reply.header("Content-Encoding") == coding, url
        assert json_reply.body == (where / name).read_bytes(), url
    assert _pool_files(output) == _pool_files(eager)  # every variant, nothing more


def test_a_page_rendered_on_request_is_stable_across_workers_and_restarts(
    host: SampleHost, tmp_path: Path
) -> None:
    config = _config(host, tmp_path / "lazy", server="workers = 2\n")
    page = "/debian/pool/main/lib3/pkg13/"
    with running_server(config, timeout=60) as server:
        with ThreadPoolExecutor(8) as pool:  # at once, on new connections: both workers
            replies = list(pool.map(lambda _: _get(server, page), range(16)))
        first = replies[0]
        assert {r.status for r in replies} == {200}
        assert {r.body for r in replies} == {first.body}
        assert {r.header("ETag") for r in replies} == {first.header("ETag")}
        written = Path(load(str(config)).output) / page.lstrip("/") / "index.html"
        stamp = written.stat().st_mtime_ns
        brotli = _get(server, page, **{"Accept-Encoding": "br"})
    with running_server(config, timeout=60) as again:
        after = _get(again, page)
        assert (after.status, after.body) == (200, first.body)
        assert after.header("ETag") == first.header("ETag")
        assert _get(again, page, **{"Accept-Encoding": "br"}).header("ETag") == brotli.header(
            "ETag"
        )
    assert written.stat().st_mtime_ns == stamp  # kept, not rendered again


def test_the_watcher_keeps_kept_pages_current_and_removes_gone_ones(host: SampleHost, lazy) -> None:
    output, server = lazy
    pool = host.snapshots_root / "pool" / "main"
    changed, removed, unread = pool / "lib5" / "pkg105", pool / "lib6" / "pkg106", "lib7/pkg107"
    saved = removed.with_name("pkg106.saved")
    for folder in (changed, removed):
        assert _get(server, f"/debian/pool/main/{folder.parent.name}/{folder.name}/").status == 200
    new = changed / "pkg105_9.9-1_all.deb"
    try:
        new.write_bytes(b"new version")
        shutil.move(removed, saved)
        (pool / unread / "pkg107_9.9-1_all.deb").write_bytes(b"new")
        assert _until(
            lambda: new.name.encode() in _get(server, "/debian/pool/main/lib5/pkg105/").body
        )
        assert _until(lambda: _get(server, "/debian/pool/main/lib6/pkg106/").status == 404)
        assert not (output / "debian/pool/main/lib6/pkg106").exists()
        assert not (output / "debian/pool/main" / unread).exists()  # never asked for: no page
        urls = {p.url for p in KeptPages(str(output)).under("/debian/", "/debian/pool/")}
        assert "/debian/pool/main/lib6/pkg106/" not in urls
        assert "/debian/pool/main/lib5/pkg105/" in urls
    finally:
        new.unlink(missing_ok=True)
        (pool / unread / "pkg107_9.9-1_all.deb").unlink(missing_ok=True)
        if saved.exists():
            shutil.move(saved, removed)


def test_a_build_refreshes_and_removes_kept_pages_by_their_stamps(
    host: SampleHost, tmp_path: Path
) -> None:
    """Without a watcher: a page rendered on request, its directory changed, then gone."""
    config = load(str(_config(host, tmp_path / "lazy")))
    build_all(config)
    mount = next(m for m in config.mounts if m.url == "/debian/")
    folder = host.snapshots_root / "pool" / "main" / "lib8" / "pkg108"
    page = Path(config.output) / "debian/pool/main/lib8/pkg108/index.html"
    assert PageRenderer()(config, mount, "debian/pool/main/lib8/pkg108/index.html")
    assert b"pkg108_9.9" not in page.read_bytes()
    saved = folder.with_name("pkg108.saved")
    try:
        (folder / "pkg108_9.9-1_all.deb").write_bytes(b"new")
        report = build_all(config)
        assert b"pkg108_9.9-1_all.deb" in page.read_bytes()
        pool_pages = [url for url in report.produced if "/pool/" in url]
        assert pool_pages == ["/debian/pool/main/lib8/pkg108/"]  # the kept one, no pool walk
        (folder / "pkg108_9.9-1_all.deb").unlink()
        shutil.move(folder, saved)
        build_all(config)
        assert not page.parent.exists()
        assert not KeptPages(config.output).under("/debian/", "/debian/pool/main/lib8/")
    finally:
        if saved.exists():
            shutil.move(saved, folder)


def test_a_pool_url_that_leaves_its_pool_is_404_and_writes_nothing(host: SampleHost, lazy) -> None:
    output, server = lazy

    def files() -> set[str]:
        return {str(p) for p in output.rglob("*") if ".snapfront" not in p.parts}

    before = files()
    for url in HOSTILE:
        reply = _get(server, url, Accept="text/plain")
        assert reply.status in (400, 404), (url, reply.status)
    assert files() == before
    assert not KeptPages(str(output)).under("/debian/", "/debian/pool/")
    assert _get(server, "/debian/pool/main/lib0/").status == 200  # and a real one still is


def test_pages_pool_accepts_lazy_or_eager_only(host: SampleHost, tmp_path: Path) -> None:
    config = _config(host, tmp_path / "bad", '\n[pages]\npool = "sometimes"\n')
    done = subprocess.run(
        [sys.executable, "-m", "snapfront.cli", "check-config", "--config", str(config)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f'snapfront: {config}: pages.pool: must be "lazy" or "eager", got \'sometimes\''
    )


def test_a_first_render_in_a_worker_compiles_no_template(host: SampleHost, tmp_path: Path) -> None:
    """`serve` makes the renderer before it forks: every template the page extends or
    includes is compiled then, so no request pays for it (bench/archive.py cold)."""
    config = load(str(_config(host, tmp_path / "lazy")))
    build_all(config)
    mount = next(m for m in config.mounts if m.url == "/debian/")
    environment.cache_clear()  # a fresh worker's templates, whatever other tests rendered
    render = PageRenderer(config)
    compiled = set(environment().cache.keys())
    assert render(config, mount, "debian/pool/main/lib8/pkg108/index.html")
    assert set(environment().cache.keys()) == compiled, "compiled on the request"


def test_a_build_renders_large_pool_directories_ahead_of_requests(
    host: SampleHost, tmp_path: Path
) -> None:
    """A directory of AHEAD_ENTRIES entries would take a request tens of ms to render: the
    build writes its page, byte for byte the one a request renders, and keeps it current."""
    config = load(str(_config(host, tmp_path / "lazy")))
    folder = host.snapshots_root / "pool" / "main" / "lib9" / "big"
    url = "debian/pool/main/lib9/big/"
    page = Path(config.output) / url / "index.html"
    folder.mkdir()
    try:
        for i in range(AHEAD_ENTRIES):
            (folder / f"big_1.{i}-1_all.deb").write_bytes(b"x")
        build_all(config)
        assert page.exists(), "a large pool directory was left to its first request"
        assert [p.url for p in KeptPages(config.output).under("/debian/", "/debian/pool/")] == [
            "/" + url
        ]  # and no small one
        ahead = _pool_files(Path(config.output))
        shutil.rmtree(page.parent)
        mount = next(m for m in config.mounts if m.url == "/debian/")
        assert PageRenderer()(config, mount, url + "index.html")
        assert _pool_files(Path(config.output)) == ahead
        (folder / "big_2.0-1_all.deb").write_bytes(b"new")
        build_all(config)
        assert b"big_2.0-1_all.deb" in page.read_bytes()
    finally:
        shutil.rmtree(folder)
