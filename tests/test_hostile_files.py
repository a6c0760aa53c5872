"""Hostile files inside the data roots (issue 9): symlinks out of a root or into reprepro's
internals, chains of links, FIFOs where a README should be.

Nothing such a file points at is ever published (not by a page, not by the server), no build
blocks on a FIFO, and no snapfront process outlives `serve`.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import brotli
import pytest

from snapfront import sample
from tests.support import family, fetch, running_server, with_listen

pytestmark = pytest.mark.live


PASSWD = b"root:x:0:0"
SIGN_WITH = b"SignWith:"
BUILD_TIMEOUT = 60.0


@dataclass(frozen=True)
class Hostile:
    host: sample.SampleHost
    token: bytes
    planted: tuple[str, ...]  # URL paths of planted links and FIFOs: every one a 404

    @property
    def secrets(self) -> tuple[bytes, ...]:
        return (self.token, PASSWD, SIGN_WITH)

    def config(self, name: str) -> Path:
        """A config of its own (free port, own output): each test starts from a cold output."""
        dest = with_listen(self.host.config, "127.0.0.1:0", self.host.dir / f"{name}.toml")
        dest.write_text(dest.read_text().replace('output = "output"', f'output = "{name}-out"'))
        return dest


def link(path: Path, target: str | Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, path)


def fifo(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)


def plant(host: sample.SampleHost, token: bytes) -> tuple[str, ...]:
    """The symlink table of issue 9, in every kind of root; returns the URLs that name them."""
    new = host.serials[1]
    (host.dir / "canary.txt").write_bytes(b"CANARY " + token + b"\n")
    (host.dir / "outside").mkdir()
    (host.dir / "outside" / "secret.txt").write_bytes(b"CANARY " + token + b"\n")
    conf = host.snapshots_root / "conf" / "distributions"

    files = host.files_root
    link(files / "mediawiki" / "1.41" / "README.md", "/etc/passwd")
    link(files / "mediawiki" / "1.10" / "README.md", host.dir / "canary.txt")
    link(files / "mediawiki" / "1.9" / "HEADER.html", conf)
    link(files / "chain" / "README.md", "../hop1")  # a chain: in, in, then out
    link(files / "hop1", "hop2")
    link(files / "hop2", "../outside/secret.txt")
    link(files / "etc", "/etc")
    link(files / "internals", os.path.relpath(conf.parent, files))
    fifo(files / "fifo" / "README.md")
    fifo(files / "fifo" / "HEADER.html")
    (files / "fifo" / "notes.txt").write_text("a file beside two FIFOs\n")

    snaps = host.snapshots_root
    link(snaps / "pool/main/h/hello-snap/evil_1.0_all.deb", "../../../../conf/distributions")
    link(snaps / "pool/main/hop_1.0_all.deb", "h/hello-snap/evil_1.0_all.deb")
    link(snaps / "pool/main/passwd_1.0_all.deb", "/etc/passwd")
    link(snaps / "pool/main/h/db", "../../../db")
    link(snaps / "pool/main/conf", "../../conf")
    link(snaps / "project/trace/evil", "../../conf/distributions")

    repo = host.repository_root
    link(repo / "pool/main/evil_1.0_all.deb", "../../conf/distributions")
    link(repo / "pool/main/db", "../../db")
    link(repo / "dists/passwd", "/etc/passwd")
    link(repo / "README", "../../canary.txt")

    tagged = host.tagged_root / "5.0"
    link(tagged / "debian/pool/conf", "../conf")
    link(tagged / "debian/pool/main/evil_1.0_all.deb", "../../conf/distributions")
    link(tagged / "debian/dists/passwd.gpg", "/etc/passwd")
    # A basedir whose InRelease is its own conf/distributions: its suite must not be shown.
    sample.write_distributions(
        tagged / "evil",
        [{"Origin": token.decode(), "Label": "evil", "Codename": "sid", "SignWith": "yes"}],
    )
    link(tagged / "evil/dists/sid/InRelease", "../../conf/distributions")
    return (
        "/mediawiki/1.41/README.md",
        "/mediawiki/1.10/README.md",
        "/mediawiki/1.9/HEADER.html",
        "/chain/README.md",
        "/hop1",
        "/hop2",
        "/etc/passwd",
        "/etc/",
        "/internals/distributions",
        "/internals/",
        "/fifo/README.md",
        "/fifo/HEADER.html",
        "/debian/pool/main/h/hello-snap/evil_1.0_all.deb",
        f"/debian/{new}/pool/main/h/hello-snap/evil_1.0_all.deb",
        "/debian/pool/main/hop_1.0_all.deb",
        f"/debian/{new}/pool/main/passwd_1.0_all.deb",
        "/debian/pool/main/h/db/",
        "/debian/pool/main/h/db/packages.db",
        "/debian/pool/main/conf/distributions",
        "/debian/pool/main/conf/",
        f"/debian/{new}/pool/main/conf/distributions",
        "/debian/project/trace/evil",
        "/apt/pool/main/evil_1.0_all.deb",
        "/apt/pool/main/db/",
        "/apt/pool/main/db/packages.db",
        "/apt/dists/passwd",
        "/apt/README",
        "/tagged/5.0/debian/pool/conf/distributions",
        "/tagged/5.0/debian/pool/conf/",
        "/tagged/5.0/debian/pool/main/evil_1.0_all.deb",
        "/tagged/5.0/debian/dists/passwd.gpg",
        "/tagged/5.0/evil/dists/sid/InRelease",
    )


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Hostile:
    host = sample.build_sample_host(tmp_path_factory.mktemp("hostile") / "demo")
    token = secrets.token_hex(16).encode()
    return Hostile(host, token, plant(host, token))


def assert_clean(body: bytes, where: str, hostile: Hostile) -> None:
    for secret in hostile.secrets:
        assert secret not in body, (where, secret)


def decoded(body: bytes, coding: str | None) -> bytes:
    if coding == "gzip":
        return gzip.decompress(body)
    if coding == "br":
        return brotli.decompress(body)
    return body


# --- snapfront build ---------------------------------------------------------------------


def test_build_publishes_nothing_a_hostile_file_points_at(hostile: Hostile) -> None:
    config = hostile.config("build")
    proc = subprocess.run(
        [sys.executable, "-m", "snapfront.cli", "build", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,  # a FIFO README used to block the build forever
    )
    assert proc.returncode == 0, proc.stderr
    out = hostile.host.dir / "build-out"
    written = [p for p in out.rglob("*") if p.is_file() and ".snapfront" not in p.parts]
    assert len(written) > 20
    for path in written:
        coding = {".gz": "gzip", ".br": "br"}.get(path.suffix)
        assert_clean(decoded(path.read_bytes(), coding), str(path), hostile)
    top = (out / "index.html").read_text()
    assert "Sample releases" in top  # a README.md that is a regular file is still inlined
    assert "notes.txt" in (out / "fifo" / "index.html").read_text()  # the FIFO's page exists
    evil = json.loads((out / "tagged/5.0/evil/index.json").read_text())
    assert evil["suites"] == []  # its "InRelease" is its own conf/distributions


def test_a_large_readme_is_listed_but_not_inlined(hostile: Hostile, tmp_path: Path) -> None:
    root = tmp_path / "tree"
    (root / "big").mkdir(parents=True)
    (root / "big" / "README.md").write_text("BIGREADME " * 30_000)  # 300 kB > 256 KiB
    (root / "small").mkdir()
    (root / "small" / "README.md").write_text("SMALLREADME\n")
    config = files_config(tmp_path, root)
    subprocess.run(
        [sys.executable, "-m", "snapfront.cli", "build", "--config", str(config)],
        check=True,
        capture_output=True,
        timeout=BUILD_TIMEOUT,
    )
    big = (tmp_path / "out" / "big" / "index.html").read_text()
    assert "BIGREADME" not in big and "README.md" in big
    assert "SMALLREADME" in (tmp_path / "out" / "small" / "index.html").read_text()


# --- snapfront serve ---------------------------------------------------------------------


def crawl(base: str, starts: list[str], hostile: Hostile) -> Iterator[tuple[str, int]]:
    """Fetch every page reachable from `starts` and everything they link to, each page also as
    index.json and gzip/br; (path, status) of every link followed; asserts no body leaks."""
    netloc = urlsplit(base).netloc
    seen: set[str] = set()
    queue = list(starts)
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        reply = fetch(base + path)
        assert_clean(reply.body, path, hostile)
        yield path, reply.status
        if not path.endswith("/") or reply.status != 200:
            continue
        for coding in ("gzip", "br"):
            variant = fetch(base + path, headers={"Accept-Encoding": coding})
            coding_used = variant.header("Content-Encoding")
            assert_clean(decoded(variant.body, coding_used), f"{path} ({coding})", hostile)
        assert_clean(fetch(base + path + "index.json").body, path + "index.json", hostile)
        for href in re.findall(rb'href="([^"]+)"', reply.body):
            target = urlsplit(urljoin(base + path, href.decode()))
            if target.netloc == netloc and target.path not in seen:
                queue.append(target.path)


def test_serve_starts_with_fifos_and_serves_nothing_a_link_points_at(hostile: Hostile) -> None:
    with running_server(hostile.config("serve"), timeout=30) as server:
        base = server.url.rstrip("/")
        followed = dict(crawl(base, ["/", "/debian/", "/apt/", "/tagged/"], hostile))
        linked = sorted(set(followed) & set(hostile.planted))
        assert not linked, "pages link to planted files"
        assert len(followed) > 40
        for path in hostile.planted:
            reply = fetch(base + path)
            assert_clean(reply.body, path, hostile)
            assert reply.status == 404, (path, reply.status)


# --- files-only hosts: no reprepro needed --------------------------------------------------


def files_config(tmp_path: Path, root: Path) -> Path:
    config = tmp_path / "snapfront.toml"
    config.write_text(
        '[server]\nlisten = "127.0.0.1:0"\noutput = "out"\n\n'
        f'[[mount]]\nurl = "/"\nkind = "files"\nroot = "{root}"\n'
        "\n[watch]\nquiet = 0.2\nmax_wait = 1\n"
    )
    return config


def test_a_fifo_planted_while_serving_does_not_stop_pages_updating(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    for folder in ("a", "b"):
        (root / folder).mkdir(parents=True)
    with running_server(files_config(tmp_path, root)) as server:
        os.mkfifo(root / "a" / "README.md")
        time.sleep(1.0)  # the watcher rebuilds a/ now
        (root / "b" / "release-2.0.tar.gz").write_bytes(b"new release\n")
        deadline = time.monotonic() + 8
        while b"release-2.0.tar.gz" not in fetch(server.url + "b/").body:
            assert time.monotonic() < deadline, "b/ stopped updating"
            time.sleep(0.2)
        assert fetch(server.url + "a/").status == 200
        assert fetch(server.url + "a/README.md").status == 404


def test_symlink_loops_end_the_walk_and_are_not_listed(tmp_path: Path) -> None:
    """`loop -> .`, `up -> ..` and two folders linking to each other: before, a build walked
    them until the kernel's 40-link limit (pages multiplying at each level)."""
    root = tmp_path / "tree"
    for folder in ("a", "b", "rel/1.0"):
        (root / folder).mkdir(parents=True)
    (root / "rel" / "1.0" / "app-1.0.tar.gz").write_bytes(b"app\n")
    link(root / "loop", ".")
    link(root / "rel" / "1.0" / "up", "..")
    link(root / "a" / "to-b", "../b")
    link(root / "b" / "to-a", "../a")
    link(root / "rel" / "latest", "1.0")  # an ordinary link to a sibling stays browsable
    config = files_config(tmp_path, root)
    result = subprocess.run(
        [sys.executable, "-m", "snapfront.cli", "build", "--config", str(config)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    pages = sorted(
        str(p.parent.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("index.html")
    )
    assert pages == [".", "a", "a/to-b", "b", "b/to-a", "rel", "rel/1.0", "rel/latest"]
    listing = (tmp_path / "out" / "index.html").read_text()
    assert 'href="loop/"' not in listing
    assert 'href="up/"' not in (tmp_path / "out" / "rel" / "1.0" / "index.html").read_text()
    assert "app-1.0.tar.gz" in (tmp_path / "out" / "rel" / "latest" / "index.html").read_text()


def children(pid: int) -> set[int]:
    """Every descendant of `pid` (serve → the watcher's keeper → the watcher)."""
    return set(family(pid)) - {pid}


def alive(pid: int) -> bool:
    """Running, not a zombie waiting for init to reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def reading(pid: int, path: Path) -> bool:
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == str(path):
                return True
        except OSError:
            continue
    return False


@pytest.fixture
def slow_first_build(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """`snapfront serve` caught hashing a 1 GiB upload in its first build: (serve, watcher)."""
    root = tmp_path / "tree"
    root.mkdir()
    big = root / "image-1.0.iso"
    with open(big, "wb") as fh:
        fh.truncate(1 << 30)  # sparse: no disk used, seconds of sha256 anyway
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "snapfront.cli",
            "serve",
            "--config",
            str(files_config(tmp_path, root)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    watcher = None
    try:
        deadline = time.monotonic() + 20
        while watcher is None:
            assert time.monotonic() < deadline, "the watcher never started hashing"
            watcher = next((c for c in children(proc.pid) if reading(c, big)), None)
            time.sleep(0.02)
        yield proc, watcher
    finally:
        for pid in ([watcher] if watcher else []) + list(children(proc.pid)) + [proc.pid]:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=10)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_during_the_first_build_leaves_no_process(
    slow_first_build: tuple[subprocess.Popen[str], int], signum: int
) -> None:
    proc, watcher = slow_first_build
    proc.send_signal(signum)
    status = proc.wait(timeout=20)
    assert status in (0, -signum)
    assert not alive(watcher), "the watcher outlived serve"


def test_the_watcher_dies_with_serve_however_serve_dies(
    slow_first_build: tuple[subprocess.Popen[str], int],
) -> None:
    proc, watcher = slow_first_build
    proc.kill()
    proc.wait(timeout=10)
    deadline = time.monotonic() + 2  # far less than the rest of its first build
    while alive(watcher):
        assert time.monotonic() < deadline, "the watcher outlived a killed serve"
        time.sleep(0.05)
