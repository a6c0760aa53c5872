"""`snapfront rules` against the stock Debian nginx and apache2 configurations.

An administrator drops the output into /etc/nginx/conf.d/ or enables it as an Apache site
(after the `a2enmod` its header names): the files must then go out with snapfront's own
Content-Type (a .deb is not octet-stream, a .tar.gz not text/plain), while the stock
default site beside it keeps the types of mime.types. Without the modules, `apache2ctl
configtest` must fail saying which command enables them.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from snapfront.rewrite_rules.export_types import media_of
from snapfront.rewrite_rules.media_types import media_type
from snapfront.sample import SampleHost
from tests.stock_servers import apache_confdir, configtest, stock_apache, stock_nginx
from tests.support import fetch
from tests.test_apache_export import host_copy  # noqa: F401 (a fixture)
from tests.test_nginx_differential import free_port, get, place, snapfront_rules

pytestmark = pytest.mark.live


# Files the sample host lacks, put in a release directory of its own for this module.
EXTRA = [
    "hello_1.0-1_amd64.changes",
    "hello_1.0-1_amd64.buildinfo",
    "debian-archive-keyring.gpg",
    "Contents-amd64",
    "Translation-en.unknown",
    "README",
    "notes.unknown",
    "build.log.txt",
    "source.tar.bz2",
    "image.iso",
]
URLS = [
    "/debian/pool/main/h/hello/hello_1.0-1_all.deb",
    "/debian/{old}/pool/main/h/hello/hello_1.0-1.dsc",
    "/debian/pool/main/h/hello/hello_1.0.orig.tar.gz",
    "/debian/pool/main/h/hello/hello_1.0-1.debian.tar.xz",
    "/debian/{new}/dists/bookworm/InRelease",
    "/debian/{new}/dists/bookworm/Release",
    "/debian/{new}/dists/bookworm/Release.gpg",
    "/debian/{new}/dists/bookworm/main/binary-amd64/Packages",
    "/debian/{new}/dists/bookworm/main/binary-amd64/Packages.gz",
    "/debian/{old}/dists/jessie/updates/main/source/Sources.gz",
    "/debian/dists/bookworm/InRelease",
    "/debian/dists/bookworm/snapshots/{new}/InRelease",  # a snapshot spelt as on disk
    "/debian/dists/jessie/updates/snapshots/{old}/main/source/Sources.gz",
    "/debian/keyring.gpg",
    "/debian/project/trace/debian",
    "/debian/{new}/changes.json",
    "/debian/{new}/",
    "/debian/index.json",
    "/apt/dists/bookworm-mediawiki/main/binary-amd64/Packages",
    "/apt/pool/main/m/mediawiki-tools/mediawiki-tools_1.0-1_all.deb",
    "/tagged/5.0/debian/dists/bookworm/Release.gpg",
    "/mediawiki/1.41/mediawiki-1.41.1.tar.gz",
    "/mediawiki/1.41/mediawiki-1.41.1.tar.gz.sig",
    "/mediawiki/1.41/mediawiki-1.41.1.tar.gz.asc",
    "/mediawiki/1.41/index.json",
    "/mediawiki/1.41/index.html",
    "/mediawiki/feed.atom",
    "/README.md",
    *(f"/types/{name}" for name in EXTRA),
]
# What a browser must see, whatever the table says today (the point of the exercise).
MUST = {
    ".deb": "application/vnd.debian.binary-package",
    ".tar.gz": "application/gzip",
    "/Packages": "text/plain; charset=utf-8",
    "/InRelease": "text/plain; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}
# The stock default site beside snapfront's: mime.types, untouched.
STOCK_SITE = {"style.css": "text/css", "clip.mp4": "video/mp4"}


@pytest.fixture(scope="module")
def type_files(sample_host: SampleHost, server) -> Iterator[None]:
    """EXTRA in files_root/types/ for this module (the session's other tests expect none)."""
    folder = sample_host.files_root / "types"
    folder.mkdir()
    for name in EXTRA:
        (folder / name).write_text(f"{name}\n")
    try:
        yield
    finally:
        shutil.rmtree(folder)


@pytest.fixture(scope="module")
def stock_copy(type_files: None, host_copy: Path) -> Path:  # noqa: F811
    """The world-readable copy, taken once the extra files are in (and rendered)."""
    return host_copy


@pytest.fixture(scope="module")
def docroot() -> Iterator[Path]:
    """The stock default site's document root, readable by www-data."""
    top = Path(tempfile.mkdtemp(prefix="snapfront-stock-"))
    top.chmod(0o755)
    for name in STOCK_SITE:
        (top / name).write_text(name)
    try:
        yield top
    finally:
        shutil.rmtree(top)


def _compare(sample_host: SampleHost, server, port: int, who: str) -> list[str]:
    """Every URL of the table: 200 from both, and the same Content-Type."""
    ours_port = urlsplit(server.url).port
    assert ours_port is not None
    problems = []
    for template in URLS:
        url = place(sample_host, template)
        ours, theirs = get(ours_port, url), get(port, url)
        assert ours.status == 200, (url, ours.status)
        for suffix, media in MUST.items():
            if url.endswith(suffix):
                assert ours.content_type == media, (url, ours.content_type)
        if (theirs.status, theirs.content_type) != (200, ours.content_type):
            got = f"{theirs.status} {theirs.content_type!r}"
            problems.append(f"{url}: snapfront {ours.content_type!r}, {who} {got}")
    return problems


def _slashes(port: int) -> None:
    """A run of "/" is a 301 to the single-slash URL, the query kept, as snapfront answers."""
    answer = get(port, "//debian/project/trace/debian?x=1")
    assert (answer.status, answer.location) == (301, "/debian/project/trace/debian?x=1")


def _stock_site(port: int) -> None:
    for name, media in STOCK_SITE.items():
        answer = get(port, f"/{name}")
        assert (answer.status, answer.content_type) == (200, media), name


def test_export_types_decide_like_snapfront() -> None:
    """The table as the web servers see it (last extension + name rules) is media_type."""
    names = ["InRelease", "Contents-amd64", "Contents-amd64.gz", "Translation-en.x", "a.TAR.GZ"]
    names += ["debian-archive-keyring.gpg", "x.keyring.asc", "README", "a.b.unknown", "a."]
    names += [f"x{ext}" for ext in (".deb", ".tar.xz", ".img", ".sig", ".changes", ".Deb")]
    names += EXTRA
    assert [media_of(n) for n in names] == [media_type(n) for n in names]


def test_stock_nginx_serves_snapfront_media_types(
    sample_host: SampleHost, server, stock_copy: Path, docroot: Path, tmp_path: Path
) -> None:
    port = free_port()
    rules = snapfront_rules(stock_copy / "snapfront.toml", "--listen", f"127.0.0.1:{port}")
    with stock_nginx(tmp_path, rules, port, docroot) as nginx:
        problems = _compare(sample_host, server, nginx.port, "nginx")
        _slashes(nginx.port)
        server_header = fetch(f"http://127.0.0.1:{nginx.port}/debian/").header("Server")
        assert server_header == "nginx", server_header  # server_tokens off: no version
        _stock_site(nginx.default_port)  # the types {} block stays in snapfront's server
    assert not problems, "\n".join(problems)


def test_stock_apache_serves_snapfront_media_types(
    sample_host: SampleHost, server, stock_copy: Path, docroot: Path, tmp_path: Path
) -> None:
    port = free_port()
    config = stock_copy / "snapfront.toml"
    rules = snapfront_rules(config, "--format", "apache", "--listen", f"127.0.0.1:{port}")
    with stock_apache(tmp_path, rules, port, docroot) as apache:
        problems = _compare(sample_host, server, apache.port, "apache2")
        _slashes(apache.port)
        _stock_site(apache.default_port)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("listen", [True, False], ids=["virtual-host", "fragment"])
def test_stock_apache_without_the_modules_names_a2enmod(
    stock_copy: Path, docroot: Path, tmp_path: Path, listen: bool
) -> None:
    port = free_port()
    config = stock_copy / "snapfront.toml"
    args = ["--listen", f"127.0.0.1:{port}"] if listen else []
    rules = snapfront_rules(config, "--format", "apache", *args)
    if not listen:  # an administrator's own virtual host around the fragment
        rules = f"<VirtualHost 127.0.0.1:{port}>\n{rules}</VirtualHost>\n"
    assert re.search(r"(?m)^# .*a2enmod rewrite headers$", rules), rules[:2000]
    confdir = apache_confdir(tmp_path, rules, port, docroot, free_port(), enable=False)
    check = configtest(confdir)
    assert check.returncode != 0
    assert "snapfront needs mod_rewrite: a2enmod rewrite headers" in check.stderr, check.stderr
    assert "Invalid command" not in check.stderr, check.stderr
    assert os.path.exists(confdir / "mods-available/rewrite.load")
