"""snapfront and a real nginx, configured by `snapfront rules`, serve the same host alike.

Both serve the session's sample host (real reprepro snapshots, a slash codename, the canary's
escaping symlinks). Every file on disk is requested through every URL form that names it,
next to directory URLs, unknown serials and codenames, hostile and percent-encoded paths. For
each request the two must agree on status, Cache-Control, Location and, for 2xx, the body's
sha256; the few deliberate differences are listed in DIFFERENCES and asserted exactly.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import http.client
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, unquote_to_bytes, urlsplit

import brotli
import pytest

from snapfront.rewrite_rules import (
    DEFAULT_CACHE_CONTROL,
    Archive,
    CacheClass,
    Miss,
    Mount,
    MountKind,
    Redirect,
    Rules,
    Target,
    resolve,
)
from snapfront.rewrite_rules.export import DENY, FILE, FIRST, GUARDS, REDIRECT, plan
from snapfront.rewrite_rules.export_routes import SLASHES
from snapfront.sample import SampleHost

pytestmark = pytest.mark.live


NGINX = "/usr/sbin/nginx"
IMMUTABLE, SIGNED, VOLATILE, FILES, ERROR = (
    CacheClass.IMMUTABLE,
    CacheClass.SIGNED_METADATA,
    CacheClass.VOLATILE,
    CacheClass.FILES,
    CacheClass.ERROR,
)


# ------------------------------------------------------------------ the deliberate differences


@dataclass(frozen=True)
class Expect:
    status: int
    cache: CacheClass
    location: str | None = None


CLIMB = (
    "dot segments that climb above / (also spelt %2e or across a decoded %2f): nginx's request "
    "parser answers 400 before any configuration applies; snapfront refuses the path with 404"
)
INSIDE_LINK = (
    "a symlink that stays inside its root: snapfront checks where it leads and serves it; "
    "nginx cannot tell where a symlink leads, so the export follows none (disable_symlinks on)"
)
DECODED_LOCATION = (
    "Location of a redirect: snapfront re-encodes the decoded path (or echoes it as sent); "
    "nginx writes the decoded path as is (raw UTF-8, %68 as h). Both name the same path"
)
SLASH_RUNS = (
    "a URL with two runs of /: snapfront's 301 merges both; a web server's regex merges the "
    "first per hop, so nginx and Apache take two hops to the same single-slash URL"
)
TIMESTAMP = (
    "a timestamp URL (/P/YYYYMMDDTHHMMSSZ/…): snapfront floors it to the newest snapshot dated at "
    "or before it; the export cannot (the floor moves with every snapshot), so it is a 404 there"
)
# fmt: off
# (URL, {old}/{new} standing for the serials and {now} for the current UTC time (when first
# used); what snapfront answers; what nginx answers; why)
DIFFERENCES = [
    ("/debian/{now}/dists/bookworm/InRelease", Expect(200, SIGNED), Expect(404, ERROR), TIMESTAMP),
    ("/debian/{now}/dists/bookworm/main/binary-amd64/Packages", Expect(200, SIGNED),
     Expect(404, ERROR), TIMESTAMP),
    ("/debian/{now}/pool/main/h/hello/hello_1.0-1_all.deb", Expect(200, IMMUTABLE),
     Expect(404, ERROR), TIMESTAMP),
    ("/debian/{now}/", Expect(302, VOLATILE, "/debian/{new}/"), Expect(404, ERROR), TIMESTAMP),
    ("/../canary.txt", Expect(404, ERROR), Expect(400, ERROR), CLIMB),
    ("/../../etc/passwd", Expect(404, ERROR), Expect(400, ERROR), CLIMB),
    ("/%2e%2e/%2e%2e/etc/passwd", Expect(404, ERROR), Expect(400, ERROR), CLIMB),
    ("/.%2e/canary.txt", Expect(404, ERROR), Expect(400, ERROR), CLIMB),
    ("/%2e%2e%2fcanary.txt", Expect(404, ERROR), Expect(400, ERROR), CLIMB),
    ("/..%2fcanary.txt", Expect(404, ERROR), Expect(400, ERROR), CLIMB),
    ("/mediawiki/1.41/../../../canary.txt", Expect(404, ERROR), Expect(400, ERROR), CLIMB),
    ("/mediawiki/%2e%2e%2f%2e%2e%2fcanary.txt", Expect(404, ERROR), Expect(400, ERROR), CLIMB),
    ("/debian/..%2f..%2fcanary.txt", Expect(404, ERROR), Expect(400, ERROR), CLIMB),
    ("/mediawiki/latest/mediawiki-1.41.1.tar.gz", Expect(200, FILES), Expect(404, ERROR), INSIDE_LINK),
    ("/mediawiki/latest", Expect(301, VOLATILE, "/mediawiki/latest/"), Expect(404, ERROR), INSIDE_LINK),
    ("/debian/{old}/pool/caf%C3%A9/", Expect(301, VOLATILE, "/debian/pool/caf%C3%A9/"),
     Expect(301, VOLATILE, "/debian/pool/café/"), DECODED_LOCATION),
    ("/debian/pool/main/%68", Expect(301, VOLATILE, "/debian/pool/main/%68/"),
     Expect(301, VOLATILE, "/debian/pool/main/h/"), DECODED_LOCATION),
    ("/debian/{new}//dists//jessie/updates/InRelease",
     Expect(301, VOLATILE, "/debian/{new}/dists/jessie/updates/InRelease"),
     Expect(301, VOLATILE, "/debian/{new}/dists//jessie/updates/InRelease"), SLASH_RUNS),
]
# fmt: on


# ------------------------------------------------------------------ a client that sends bytes


@dataclass(frozen=True)
class Answer:
    status: int
    cache_control: str | None
    location: str | None
    content_encoding: str | None
    body: bytes
    content_type: str | None = None

    @property
    def digest(self) -> str | None:
        return hashlib.sha256(self.body).hexdigest() if 200 <= self.status < 300 else None

    def key(self) -> tuple[object, ...]:
        return (self.status, self.cache_control, self.location, self.digest)


def get(port: int, target: str, headers: tuple[tuple[str, str], ...] = ()) -> Answer:
    """GET `target` exactly as written (no normalisation, no Accept-Encoding), one connection."""
    lines = [f"GET {target} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("utf-8"))
        resp = http.client.HTTPResponse(sock, method="GET")
        resp.begin()
        body = resp.read()
    location = resp.getheader("Location")
    if location is not None:  # header bytes arrive as latin-1; nginx may send raw UTF-8
        location = location.encode("latin-1").decode("utf-8", "replace")
        if location.startswith("http"):  # Apache's are absolute: keep the path and query
            location = location.split("/", 3)[3].join(["/", ""])
    return Answer(
        resp.status,
        resp.getheader("Cache-Control"),
        location,
        resp.getheader("Content-Encoding"),
        body,
        resp.getheader("Content-Type"),
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"nginx exited {proc.returncode}: {log.read_text()[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise AssertionError(f"nginx did not listen on {port}: {log.read_text()[-2000:]}")


def snapfront_rules(config: Path, *args: str) -> str:
    cmd = [sys.executable, "-m", "snapfront.cli", "rules", "--config", str(config), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


NGINX_CONF = """\
user root;  # the workers must read the 0700 pytest directories
pid {dir}/nginx.pid;
error_log {dir}/error.log;
worker_processes 1;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {dir}/access.log;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include {dir}/snapfront.conf;
}}
"""


@contextlib.contextmanager
def running_nginx(directory: Path, server_block: str, port: int) -> Iterator[int]:
    """nginx in the foreground on a loopback port, everything inside DIRECTORY; always stopped."""
    (directory / "snapfront.conf").write_text(server_block)
    (directory / "nginx.conf").write_text(NGINX_CONF.format(dir=directory))
    conf = str(directory / "nginx.conf")
    base = [NGINX, "-p", str(directory), "-e", str(directory / "error.log"), "-c", conf]
    check = subprocess.run([*base, "-t"], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen([*base, "-g", "daemon off;"], stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, proc, directory / "error.log")
        yield port
    finally:
        proc.send_signal(signal.SIGTERM)  # fast shutdown; the workers go with the master
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def nginx_port(sample_host: SampleHost, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    if not os.path.exists(NGINX):
        pytest.fail(f"{NGINX} not found: apt-get install nginx")
    port = free_port()
    server_block = snapfront_rules(sample_host.config, "--listen", f"127.0.0.1:{port}")
    with running_nginx(tmp_path_factory.mktemp("nginx"), server_block, port) as running:
        yield running


# ------------------------------------------------------------------ what the host holds for this test

PAGES = [
    "/",
    "/debian/",
    "/debian/{new}/dists/jessie/updates/",
    "/debian/pool/main/",
    "/mediawiki/1.41/",
    "/apt/dists/",
    "/tagged/5.0/debian/pool/",
]


@pytest.fixture(scope="module")
def extras(sample_host: SampleHost, canary: bytes, server) -> Iterator[None]:
    """Traces (generated and under the root), pages, an inside symlink, odd and forbidden names.

    The other tests share the host and expect none of this: all of it goes again afterwards."""
    host, made = sample_host, []
    saved: dict[Path, bytes] = {}

    def write(path: Path, text: str) -> None:
        if path.is_file():
            saved.setdefault(path, path.read_bytes())  # e.g. the trace the build wrote
        for parent in reversed([path, *path.parents]):
            if not parent.exists() and not parent.is_symlink():
                made.append(parent)
                break
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    out, snap, repo = host.output, host.snapshots_root, host.repository_root
    write(out / "debian/project/trace/debian", "generated trace\n")
    write(snap / "project/trace/debian", "losing trace under the root\n")
    write(snap / "project/trace/mirror", "trace another tool wrote\n")
    write(repo / "project/trace/apt", "repository trace under the root\n")
    write(out / "apt/project/trace/apt2", "generated repository trace\n")
    for page in PAGES:  # pages the build did not write (it wrote most by now)
        index = out / place(host, page).lstrip("/") / "index.html"
        if not index.exists():
            write(index, f"<title>{page}</title>\n")
    write(host.files_root / "odd/a b+c~d é.txt", "odd name\n")
    write(host.files_root / "odd/SHA256SUMS", "a release manager's own sums win\n")
    write(host.files_root / ".hidden", "hidden\n")
    write(host.files_root / "mediawiki/1.41/lockfile", "lock\n")
    write(host.files_root / "mediawiki/1.41/x.lock", "lock\n")
    write(repo / "dists/bookworm-mediawiki/InRelease.new", "half written\n")
    link = host.files_root / "mediawiki/latest"
    link.symlink_to("1.41")
    made.append(link)
    try:
        yield
    finally:
        for path in reversed(made):
            if path.is_symlink() or path.is_file():
                path.unlink()
            else:
                shutil.rmtree(path)
        for path, data in saved.items():
            path.write_bytes(data)


def place(host: SampleHost, template: str) -> str:
    old, new = host.serials
    if "{now}" in template:
        template = template.replace("{now}", _now())
    return template.replace("{old}", old).replace("{new}", new)


@functools.cache
def _now() -> str:
    """The first time a test asked: after the sample host's snapshots, before any request."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())


# ------------------------------------------------------------------ the corpus


def url_forms(url: str) -> list[str]:
    """The URL as a browser writes it, and as APT writes it (+ and ~ percent-encoded)."""
    forms = [url]
    if "+" in url or "~" in url:
        forms.append(url.replace("+", "%2b").replace("~", "%7e"))
        forms.append(url.replace("+", "%2B").replace("~", "%7E"))
    return forms


def walk(root: Path) -> Iterator[tuple[str, bool]]:
    """(relative path, is a directory) for everything under ROOT, symlinks not followed."""
    for folder, dirs, files in os.walk(root):
        rel = os.path.relpath(folder, root)
        for name in sorted(dirs):
            yield os.path.normpath(os.path.join(rel, name)), True
        for name in sorted(files):
            yield os.path.normpath(os.path.join(rel, name)), False


def disk_urls(host: SampleHost) -> list[str]:
    """Every file and directory of every root, through every URL that can name it."""
    old, new = host.serials
    urls: list[str] = []
    for rel, is_dir in walk(host.snapshots_root):
        if "/snapshots/" in rel and rel.startswith("dists/"):
            codename, _, tail = rel[len("dists/") :].partition("/snapshots/")
            serial, _, file = tail.partition("/")
            names = [f"/debian/{serial}/dists/{codename}" + (f"/{file}" if file else "")]
            names.append(f"/debian/{rel}")  # the same snapshot spelt as it lies on disk
        elif rel == "pool" or rel.startswith("pool/"):
            names = [f"/debian{prefix}/{rel}" for prefix in ("", f"/{old}", f"/{new}")]
            names.append(f"/debian/2099123199/{rel}")
        else:
            names = [f"/debian/{rel}"]
        urls += names + ([f"{n}/" for n in names] if is_dir else [])
    for mount, root in (
        ("/apt/", host.repository_root),
        ("/tagged/", host.tagged_root),
        ("/", host.files_root),
    ):
        for rel, is_dir in walk(root):
            url = mount + quote(rel, safe="/+~@:,=")
            urls += [url, url + "/"] if is_dir else [url]
    return [form for url in urls for form in url_forms(url)]


LISTED = [
    # runs of "/": a 301 to the single-slash URL (query kept), in every mount and at the top
    "//debian/project/trace/debian", "//debian/project/trace/debian?x=1", "//", "///", "//debian",
    "/debian//{new}/dists/bookworm/InRelease", "//apt/dists/bookworm-mediawiki/InRelease",
    "/tagged//5.0/debian/dists/bookworm/InRelease", "//mediawiki/1.41/", "/-//ready", "//-/ready",
    "/debian/{new}//dists//jessie/updates/InRelease", "//.hidden", "//debian/pool/main/%68/",
    # a snapshot spelt as on disk: unknown serial, a directory, the listing that is not served
    "/debian/dists/bookworm/snapshots/2099123199/InRelease", "/debian/dists/bookworm/snapshots/{old}",
    "/debian/dists/bookworm/snapshots/{new}/", "/debian/dists/jessie/updates/snapshots/{new}/main/",
    "/debian/dists/sid/snapshots/{old}/InRelease",
    # mounts, redirects, keyrings, queries
    "/debian", "/debian/", "/apt", "/apt/", "/tagged", "/tagged/", "/", "/debian?x=1", "/apt?y",
    "/mediawiki/1.41?z=2", "/mediawiki?", "/debian/keyring.gpg", "/apt/keyring.gpg",
    "/tagged/keyring.gpg", "/keyring.gpg", "/debian/keyring.gpg/", "/debian/{old}/keyring.gpg",
    # traces: generated wins, the root's otherwise
    "/debian/project/trace/debian", "/debian/project/trace/mirror", "/debian/project/trace/none",
    "/debian/project/trace/", "/debian/project/trace", "/debian/project/", "/debian/project",
    "/debian/project/trace/debian/", "/debian/project/trace/debian/x", "/apt/project/trace/apt",
    "/apt/project/trace/apt2", "/apt/project/trace/none", "/apt/project/trace/",
    "/project/trace/debian", "/tagged/project/trace/debian",
    # pages (some written by the `extras` fixture, the others missing)
    *PAGES, "/debian/{old}/", "/debian/{new}/", "/debian/{old}/dists/", "/debian/{new}/dists/bookworm/",
    "/debian/{old}/dists/bookworm/main/binary-amd64/", "/debian/pool/",
    "/debian/{new}/changes/", "/debian/{new}/changes.json",
    "/debian/{old}0/changes.json", "/debian/changes.json", "/debian/{new}/changes", "/debian/pool/main/h/hello/",
    "/tagged/5.0/", "/tagged/5.0/debian/", "/tagged/5.0/debian/dists/", "/apt/pool/main/",
    "/mediawiki/", "/nowhere/", "/debian/{old}/pool/", "/debian/{new}/pool/main/",
    "/debian/{old}/pool/main/h/hello/", "/debian/{old}/pool/main/h/hello?x=1",
    "/debian/{new}/pool/main/?q", "/debian/pool/main/h/hello/hello_1.0-1_all.deb/",
    "/mediawiki/1.41/mediawiki-1.41.0.tar.gz/", "/debian/{old}/dists/bookworm/InRelease/",
    # unknown serials and codenames, and what is not a snapshot URL
    "/debian/2099123199/dists/bookworm/InRelease", "/debian/2099123199/", "/debian/2099123199/dists/",
    "/debian/2099123199/pool/main/", "/debian/2099123199/pool/main/h/hello/hello_1.0-1_all.deb",
    "/debian/20261122/dists/bookworm/InRelease", "/debian/{old}0/dists/bookworm/InRelease",
    "/debian/{old}/dists/sid/InRelease", "/debian/{old}/dists/sid/", "/debian/{old}/dists/jessie/InRelease",
    "/debian/{old}/dists/jessie/", "/debian/{old}/dists/jessie/updates", "/debian/{old}/dists/jessie/updates/",
    "/debian/{old}/dists/jessie/updatesx/Release", "/debian/{old}/dists/bookworm", "/debian/{old}/dists",
    "/debian/{old}/pool", "/debian/{old}", "/debian/{old}/foo", "/debian/{old}/foo/", "/debian/foo/",
    "/debian/{old}/dists/bookworm/snapshots/{old}/InRelease", "/debian/dists/bookworm/InRelease",
    # the live archive: never a snapshot through it; an unknown codename; directories
    "/debian/dists/bookworm/snapshots/{old}/InRelease", "/debian/dists/bookworm/snapshots/",
    "/debian/dists/jessie/updates/snapshots", "/debian/dists/sid/InRelease", "/debian/dists/sid/",
    "/debian/dists/", "/debian/dists", "/debian/dists/bookworm", "/debian/dists/bookworm/",
    "/debian/dists/jessie/updates/main/", "/debian/dists/jessie/updates/main/source",
    # timestamps that name nothing: before the first snapshot, in the future, not a time
    "/debian/20200101/dists/bookworm/InRelease", "/debian/20991231T000000Z/dists/bookworm/InRelease",
    "/debian/20991231/", "/debian/20261399/pool/main/", "/debian/20200101T000000Z/pool/main/h/hello/",
    "/debian/{old}/dists/bookworm/main/binary-amd64", "/debian/{new}/dists/jessie/updates/main",
    "/debian/{new}/dists/jessie/updates/main/source/Sources.gz", "/debian/README", "/debian/pool",
    "/tagged/5.0", "/tagged/5.0/debian", "/tagged/5.0/debian/dists", "/tagged/5.0/debian/other/x",
    "/tagged/5.0/debian/other/", "/tagged/6.0/debian/dists/bookworm/InRelease", "/apt/dists",
    # hostile: traversal, encoded separators, hidden names, internals, temporary and lock files
    "/debian/{new}/pool/../../canary.txt", "/debian/{old}/pool/%2e%2e/%2e%2e/canary.txt",
    "/debian/{new}/dists/..%2f..%2f..%2fcanary.txt", "/tagged/..%2fcanary.txt", "/tagged/5.0/../../canary.txt",
    "/debian/project/trace/../../../canary.txt", "/debian/project/trace/..%2f..%2f..%2fcanary.txt",
    "/mediawiki/1.41/../1.41/mediawiki-1.41.0.tar.gz", "/mediawiki/./1.41/mediawiki-1.41.0.tar.gz",
    "/mediawiki%2f1.41/mediawiki-1.41.0.tar.gz", "/mediawiki%2F1.41/", "/mediawiki/1.41%5cx",
    "/..\\canary.txt", "/mediawiki\\1.41", "/%2e%2e%5c%2e%2e%5ccanary.txt", "//etc/passwd",
    "/mediawiki//1.41/mediawiki-1.41.0.tar.gz", "/debian//pool/main/", "/.hidden", "/%2ehidden",
    "/%2Ehidden", "/mediawiki/.git/config", "/debian/pool/.git/HEAD", "/debian/.well-known/x",
    "/apt/conf/distributions", "/apt/conf", "/apt/conf/", "/apt/db/", "/apt/db", "/apt/db/lockfile",
    "/apt/incoming/", "/apt/logs/x", "/apt/tmp/x", "/apt/dists/bookworm-mediawiki/InRelease.new",
    "/apt/dists/bookworm-mediawiki/InRelease.new/", "/mediawiki/1.41/lockfile", "/mediawiki/1.41/x.lock",
    "/mediawiki/1.41/lockfile/", "/apt/pool/x.new/y", "/debian/pool/main/x.lock",
    "/debian/{old}/dists/bookworm/InRelease.new", "/tagged/5.0/debian/conf/distributions",
    "/tagged/5.0/debian/db/packages.db", "/debian/conf/distributions", "/debian/db/packages.db",
    "/escape", "/escape/", "/escape/secret.txt", "/mediawiki/escape.txt", "/debian/pool/escape.deb",
    "/debian/{new}/pool/escape.deb", "/apt/dists/escape", "/apt/dists/escape/", "/apt/dists/escape/secret.txt",
    "/canary.txt", "/debian/canary.txt", "/outside/secret.txt", "/mediawiki/latest/",
    # bytes that are not a path: NUL, control characters, bad escapes, invalid UTF-8, length
    "/%00", "/canary.txt%00.tar.gz", "/mediawiki/1.41/mediawiki-1.41.1.tar.gz%00", "/%01", "/a%1fb",
    "/a%7fb", "/%zz", "/abc%", "/a%2", "/%c0%af", "/%c0%ae%c0%ae/canary.txt", "/%e0%80%ae/x", "/%ff",
    "/%c3%28", "/%ed%a0%80", "/%f4%90%80%80", "/%252e%252e/canary.txt", "/caf%C3%A9",
    "/" + "a" * 5000, "/debian/" + "b" * 9000, "/" + "a" * 4095, "/" + "a/" * 2047 + "a",
    # percent-encoded names
    "/%6d%65%64%69%61%77%69%6b%69/1.41/mediawiki-1.41.0.tar.gz", "/mediawiki/1.41/mediawiki%2d1.41.1.tar.gz.asc",
    "/odd/a%20b+c~d%20%C3%A9.txt", "/odd/a%20b%2bc%7ed%20%c3%a9.txt",
    # SHA256SUMS of a files directory: the root's own first, else the generated one
    "/mediawiki/1.41/SHA256SUMS", "/SHA256SUMS", "/mediawiki/SHA256SUMS", "/mediawiki/1.41/SHA256SUMS/",
    "/mediawiki/1.41/SHA256SUMS%2e", "/apt/dists/SHA256SUMS", "/tagged/5.0/debian/SHA256SUMS",
    "/debian/%70ool/main/h/hello/hello_1.0-1_all.deb", "/debian/{old}/dists/jessie%2fupdates/Release",
    "/debian/{old}/dists/jessie/upd%61tes/Release", "/apt/dists/bookworm%2dmediawiki/Release",
]  # fmt: skip

RANGES = [
    "/debian/pool/main/h/hello/hello_1.0-1_all.deb",
    "/debian/{new}/dists/bookworm/InRelease",
    "/debian/{old}/dists/jessie/updates/main/binary-amd64/Packages.gz",
    "/mediawiki/1.41/mediawiki-1.41.1.tar.gz",
    "/apt/dists/bookworm-mediawiki/main/binary-amd64/Packages",
    "/tagged/5.0/debian/pool/main/h/hello/hello_1.0-1_all.deb",
    "/debian/project/trace/debian",
    "/debian/",
    "/apt/nothing",
]


def corpus(host: SampleHost) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    targets = disk_urls(host) + [place(host, t) for t in LISTED]
    targets += [place(host, url) for url, *_ in DIFFERENCES]
    requests = [(t, ()) for t in dict.fromkeys(targets)]
    for url in RANGES:
        for spec in ("bytes=0-99", "bytes=-7", "bytes=5-"):
            requests.append((place(host, url), (("Range", spec),)))
    for url in ("/apt/dists/bookworm-mediawiki/main/binary-amd64/Packages", "/debian/"):
        requests.append((url, (("Accept-Encoding", "gzip, br"),)))
    return requests


# ------------------------------------------------------------------ the tests


def test_snapfront_and_nginx_answer_alike(
    sample_host: SampleHost, canary: bytes, extras: None, server, nginx_port: int
) -> None:
    snapfront_port = urlsplit(server.url).port
    assert snapfront_port is not None
    cc = {cls: DEFAULT_CACHE_CONTROL[cls] for cls in CacheClass}
    differences = {place(sample_host, url): (sf, ngx) for url, sf, ngx, _ in DIFFERENCES}
    requests = corpus(sample_host)
    assert len(requests) >= 300, len(requests)
    print(f"{len(requests)} requests to each server")
    mismatches, served = [], 0
    for target, headers in requests:
        ours, theirs = get(snapfront_port, target, headers), get(nginx_port, target, headers)
        for answer in (ours, theirs):
            assert canary not in answer.body, target
        assert theirs.content_encoding is None, target
        if ours.content_encoding is not None:
            # snapfront negotiates the precompressed variant of a generated page (never of a
            # data file); the export serves the page itself: the decoded bytes must agree.
            assert target.endswith("/") and ours.content_encoding == "br", target
            ours = dataclasses.replace(
                ours, body=brotli.decompress(ours.body), content_encoding=None
            )
        served += 200 <= ours.status < 300
        if headers or target not in differences:
            if ours.key() != theirs.key():
                mismatches.append(
                    f"{target[:120]} {headers}: snapfront {ours.key()} nginx {theirs.key()}"
                )
            continue
        pairs = zip((ours, theirs), differences[target], ("snapfront", "nginx"), strict=True)
        for answer, expect, who in pairs:
            got = (answer.status, answer.cache_control, answer.location)
            location = place(sample_host, expect.location) if expect.location else None
            want = (expect.status, cc[expect.cache], location)
            if got != want:
                mismatches.append(f"{target} (listed difference): {who} {got}, expected {want}")
        if ours.location and theirs.location:
            landing = theirs.location
            while "//" in landing.split("?")[0]:  # SLASH_RUNS: one run merged per hop
                landing = get(nginx_port, landing).location or ""
            assert unquote(ours.location) == landing, target
    assert not mismatches, "\n".join(mismatches)
    assert served >= 150, served  # the corpus mostly names real files, not only refusals


def test_rules_output_is_deterministic_and_names_the_slash_codename(
    sample_host: SampleHost,
) -> None:
    first = snapfront_rules(sample_host.config)
    assert first == snapfront_rules(sample_host.config)
    old, new = sorted(sample_host.serials)
    assert "regenerate" in first.lower()
    assert f'location ~ "^/debian/((?:{old}|{new}))/dists/jessie/updates/(.+)$" {{' in first
    assert "/dists/jessie/updates/snapshots/$1/$2" in first
    apache = snapfront_rules(sample_host.config, "--format", "apache")
    assert apache == snapfront_rules(sample_host.config, "--format", "apache")
    assert "/dists/jessie/updates/snapshots/$1/$2" in apache


# ------------------------------------------------------------------ the route table, without a server

SERIALS = ("2026112101", "2026112102")
SIM_RULES = Rules(
    [
        Mount("/", MountKind.FILES, "/srv/releases", "archive"),
        Mount("/debian/", MountKind.SNAPSHOTS, "/srv/snap", "debian", "/srv/keys/keyring.gpg"),
        Mount("/debian/security/", MountKind.SNAPSHOTS, "/srv/sec", "security"),
        Mount("/apt/", MountKind.REPOSITORY, "/srv/repo", "apt"),
        Mount("/tagged/", MountKind.TAGGED, "/srv/tagged", "tagged"),
    ],
    "/var/lib/snapfront",
    {
        "/debian/": Archive(
            ("bookworm", "jessie", "jessie/updates"),
            {
                "bookworm": frozenset(SERIALS),
                "jessie": frozenset(SERIALS),
                "jessie/updates": frozenset(SERIALS[1:]),
            },
        ),
        "/debian/security/": Archive(("bookworm-security",), {"bookworm-security": frozenset()}),
    },
)
ATOMS = [
    "debian", "security", "apt", "tagged", "5.0", "pool", "dists", *SERIALS, "2099010101", "jessie",
    "updates", "bookworm", "main", "InRelease", "Release.gpg", "Packages", "project", "trace",
    "keyring.gpg", "conf", "db", "by-hash", "x.new", "lockfile", "%2e%2e", ".git", "a%2fb",
    "caf%C3%A9", "%ff", "h+1~2", "", "%00", "a%01", "changes", "changes.json",
    "index.html", "index.json", "feed.atom", "snapshots",
]  # fmt: skip


def _expand(groups: list[str]):
    return lambda ref: groups[int(ref[1])]


def simulate(
    path: str, rules: Rules = SIM_RULES
) -> tuple[str, tuple[str, ...], CacheClass | None] | int:
    """What the exported table does with PATH: (action, targets, class), or a status."""
    for guard in GUARDS:
        subject = path.encode() if guard.raw else unquote_to_bytes(path)
        if bool(re.search(guard.pattern.encode(), subject)) != guard.negate:
            return guard.status
    if re.search(SLASHES, path):  # each hop merges one run of "/": where the last one leads
        while merged := re.match(SLASHES, path):
            path = f"{merged[1]}/{merged[2]}{path[merged.end() :]}"
        return (REDIRECT, (unquote(path),), None)
    decoded = unquote(path)
    for mount in plan(rules):
        if mount.mount.url != "/" and decoded == mount.mount.url[:-1]:
            return (REDIRECT, (mount.mount.url,), None)
        if not decoded.startswith(mount.mount.url):
            continue
        for route in mount.routes:
            if match := re.match(route.pattern, decoded):
                groups = [match.group(0), *(g or "" for g in match.groups())]
                targets = tuple(re.sub(r"\$(\d)", _expand(groups), t) for t in route.targets)
                return 404 if route.action == DENY else (route.action, targets, route.cache)
        return 404
    return 404


@pytest.mark.parametrize("live", [True, False], ids=["live", "no-live-archive"])
def test_the_route_table_decides_like_resolve(live: bool) -> None:
    """Thousands of paths built from the URL space's own words, through both, must agree:
    runs of "/", snapshots spelt as on disk (/debian/dists/CODENAME/snapshots/SERIAL/…), with
    and without the live archive."""
    mounts = [dataclasses.replace(m, live=live) for m in SIM_RULES.mounts]
    rules = Rules(mounts, SIM_RULES.output, SIM_RULES.archives)
    rng = random.Random(20261122)
    stems = ["", "/debian", "/debian/security", "/apt", "/tagged", "/tagged/5.0/debian"]
    stems += [f"/debian/{SERIALS[0]}", f"/debian/{SERIALS[1]}/pool", f"/debian/{SERIALS[1]}/dists"]
    stems += [f"/debian/dists/{c}/snapshots" for c in ("bookworm", "jessie", "jessie/updates")]
    stems += ["/debian/dists/sid/snapshots", f"/debian//dists/bookworm/snapshots/{SERIALS[0]}"]
    paths = {
        rng.choice(stems)
        + "/"
        + "/".join(rng.choices(ATOMS, k=rng.randint(0, 6)))
        + rng.choice(["", "/"])
        for _ in range(8000)
    }
    paths |= {stem for stem in stems if stem} | {"//"}
    paths |= {f"{stem}/{tail}SHA256SUMS" for stem in stems for tail in ("", "a/", "pool/x/")}
    checked = {"hit": 0, "miss": 0, "redirect": 0, "on disk": 0, "slashes": 0}
    for path in sorted(paths):
        found, simulated = resolve(rules, path), simulate(path, rules)
        if isinstance(found, Miss):
            assert simulated == found.status, (path, found, simulated)
            checked["miss"] += 1
        elif isinstance(found, Redirect):
            assert simulated == (REDIRECT, (unquote(found.location),), None), (path, simulated)
            checked["redirect"] += 1
            checked["slashes"] += "//" in path
        else:
            assert isinstance(found, Target)
            files = tuple(os.path.join(s.base, s.relpath) for s in found.sources)
            action = FIRST if found.directory or len(files) > 1 else FILE
            assert simulated == (action, files, found.cache), (path, found, simulated)
            checked["hit"] += 1
            checked["on disk"] += "/snapshots/" in path
    assert min(checked.values()) >= 50, checked


def test_without_a_mount_at_slash_the_route_table_serves_the_front_page_like_resolve() -> None:
    """No mount at "/": `/`, `/index.html`, `/index.json` are snapfront's generated front page
    (rewrite_rules.front) in both; anything else outside the mounts is 404 in both."""
    rules = Rules([m for m in SIM_RULES.mounts if m.url != "/"], SIM_RULES.output)
    served = 0
    for path in ["/", "/index.html", "/index.json", "/index.json/", "/feed.atom", "/x", "/x/",
                 "/index.htm", "/debian", "/debian/", "/%69ndex.json"]:  # fmt: skip
        found, simulated = resolve(rules, path), simulate(path, rules)
        if isinstance(found, Miss):
            assert simulated == found.status, (path, simulated)
        elif isinstance(found, Redirect):
            assert simulated == (REDIRECT, (found.location,), None), (path, simulated)
        else:
            files = tuple(os.path.join(s.base, s.relpath) for s in found.sources)
            assert simulated == (FIRST, files, found.cache), path  # the file or a 404
            served += 1
    assert served >= 4
