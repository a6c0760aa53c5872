"""`snapfront rules --format apache`: Apache httpd accepts it, and serves like snapfront.

Apache's children run as www-data (httpd refuses to serve as root), and pytest's directories
are private, so Apache serves a world-readable copy of the session's sample host (same files,
same serials) while the session's snapfront serves the original; and a copy of site/static/,
as the checkout itself may be private (under /root).
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from snapfront.base.config import load
from snapfront.base.site_files import static_dir
from snapfront.basedir.inventory import read_inventory
from snapfront.rewrite_rules import DEFAULT_CACHE_CONTROL, CacheClass, Rules, Target, resolve
from snapfront.sample import SampleHost
from tests.crawl import crawl
from tests.test_nginx_differential import (
    Expect,
    _now,
    corpus,
    free_port,
    get,
    place,
    snapfront_rules,
    wait_for_port,
)

pytestmark = pytest.mark.live


APACHE = "/usr/sbin/apache2"
MODULES = "/usr/lib/apache2/modules"
NEEDED = ["mpm_event", "authz_core", "rewrite", "headers", "mime", "dir", "env"]
ERROR, FILES = CacheClass.ERROR, CacheClass.FILES
SIGNED, IMMUTABLE, VOLATILE = (
    CacheClass.SIGNED_METADATA,
    CacheClass.IMMUTABLE,
    CacheClass.VOLATILE,
)

APACHE_CONF = """\
ServerRoot {dir}
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile {dir}/apache2.pid
ErrorLog {dir}/error.log
LogLevel warn
DefaultRuntimeDir {dir}
Mutex file:{dir} default
User www-data
Group www-data
DocumentRoot {dir}/empty
{modules}
TypesConfig /etc/mime.types
<Directory />
    Require all denied
    AllowOverride None
    Options None
</Directory>
Include {dir}/snapfront.conf
"""


def _climbs(path: str) -> bool:
    """Whether the path's dot segments (%2e decoded, %2f kept: NoDecode) climb above /."""
    depth = 0
    for segment in (unquote(s) for s in path.split("/")[1:]):
        depth += -1 if segment == ".." else 0 if segment in ("", ".") else 1
        if depth < 0:
            return True
    return False


def _leaves_root(rules: Rules, path: str) -> bool:
    """Whether `resolve` names one file, through a symlink that leads out of its base."""
    found = resolve(rules, path)
    if not isinstance(found, Target) or len(found.sources) != 1:
        return False
    source = found.sources[0]
    real = os.path.realpath(os.path.join(source.base, source.relpath))
    return os.path.lexists(os.path.join(source.base, source.relpath)) and not real.startswith(
        os.path.realpath(source.base) + "/"
    )


# (why, which request targets, what snapfront answers, what Apache answers), checked in order;
# every rule must meet at least one request.
DIFFERENCES = [
    (
        "Apache's URL decoder answers 404 for %00 before any rule; snapfront's split_path 400",
        lambda path: "%00" in path,
        Expect(400, ERROR),
        Expect(404, ERROR),
    ),
    (
        "dot segments above / (%2e too): Apache's request parser 400; snapfront 404",
        _climbs,
        Expect(404, ERROR),
        Expect(400, ERROR),
    ),
    (
        "a timestamp's dists file: snapfront serves its floor snapshot; not exported (404)",
        lambda path: path.startswith(f"/debian/{_now()}/dists/") and not path.endswith("/"),
        Expect(200, SIGNED),
        Expect(404, ERROR),
    ),
    (
        "a timestamp's pool file: snapfront serves it; not exported (404)",
        lambda path: path.startswith(f"/debian/{_now()}/pool/") and not path.endswith("/"),
        Expect(200, IMMUTABLE),
        Expect(404, ERROR),
    ),
    (
        "a timestamp's directory: snapfront 302 to the floor serial's page; not exported (404)",
        lambda path: path == f"/debian/{_now()}/",
        Expect(302, VOLATILE, "/debian/{new}/"),
        Expect(404, ERROR),
    ),
    (
        "a symlink leaving its root: snapfront 404; Apache refuses every symlink with 403",
        "leaves-root",
        Expect(404, ERROR),
        Expect(403, ERROR),
    ),
    (
        "two runs of /: snapfront's 301 merges both; Apache's merges the first (two hops)",
        lambda path: len(re.findall("//+", path)) == 2,
        Expect(301, VOLATILE, "/debian/{new}/dists/jessie/updates/InRelease"),
        Expect(301, VOLATILE, "/debian/{new}/dists//jessie/updates/InRelease"),
    ),
]
# fmt: off
ALWAYS = [  # besides a sample of the nginx corpus: one of each kind of answer
    "/debian", "/debian?x=1", "/debian/keyring.gpg", "/debian/{old}/dists/bookworm/InRelease",
    "/debian/{new}/dists/jessie/updates/main/binary-amd64/Packages.gz",
    "/debian/{old}/pool/main/h/hello/hello_0.9%2bdeb8u1_all.deb", "/debian/pool/main/h",
    "/debian/{old}/pool/main/h/", "/debian/2099123199/dists/bookworm/InRelease",
    "/debian/{old}/dists/jessie/InRelease", "/apt/conf/distributions", "/apt/db/", "/apt/dists",
    "/apt/dists/bookworm-mediawiki/InRelease", "/tagged/5.0/debian/pool/main/h/hello/hello_1.0-1_all.deb",
    "/tagged/5.0/debian/db/packages.db", "/mediawiki/1.41", "/mediawiki/1.41/", "/mediawiki%2f1.41/",
    "/.hidden", "/a%01", "/%ff", "/mediawiki/1.41/lockfile", "/" + "a" * 5000,
    "/%00", "/../canary.txt", "/escape", "/debian/pool/escape.deb", "/debian/{new}/pool/escape.deb",
    "/debian/2099123199/pool/escape.deb", "/mediawiki/escape.txt", "/apt/dists/escape/secret.txt",
    "/debian/dists/bookworm/InRelease", "/debian/dists/jessie/updates/main/binary-amd64/Packages",
    "/debian/dists/", "/debian/dists/bookworm", "/debian/dists/bookworm/snapshots/{old}/InRelease",
    "/debian/{now}/dists/bookworm/InRelease", "/debian/{now}/pool/main/h/hello/hello_1.0-1_all.deb",
    "/debian/{now}/", "/debian/20200101/dists/bookworm/InRelease",
    "/mediawiki/1.41/SHA256SUMS", "/SHA256SUMS", "/mediawiki/SHA256SUMS",
    "//debian/project/trace/debian", "//debian/project/trace/debian?x=1", "//", "/-//ready",
    "/debian//{new}/dists/bookworm/InRelease", "/tagged//5.0/debian/pool/", "//apt/dists/",
    "/debian/{new}//dists//jessie/updates/InRelease", "//.hidden",
    "/debian/dists/bookworm/snapshots/{new}/InRelease", "/debian/dists/bookworm/snapshots/{old}/",
    "/debian/dists/jessie/updates/snapshots/{new}/main/source/Sources.gz",
    "/debian/dists/bookworm/snapshots/2099123199/InRelease",
]
# fmt: on


def _require_apache() -> None:
    if not os.path.exists(APACHE):
        pytest.fail(f"{APACHE} not found: apt-get install apache2")


def _write_conf(directory: Path, port: int, fragment: str) -> Path:
    (directory / "empty").mkdir(exist_ok=True)
    (directory / "snapfront.conf").write_text(fragment)
    modules = "\n".join(f"LoadModule {m}_module {MODULES}/mod_{m}.so" for m in NEEDED)
    conf = directory / "apache2.conf"
    conf.write_text(APACHE_CONF.format(dir=directory, port=port, modules=modules))
    return conf


def _syntax_check(conf: Path) -> None:
    proc = subprocess.run([APACHE, "-t", "-f", str(conf)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "Syntax OK" in proc.stderr + proc.stdout


@pytest.fixture(scope="module")
def host_copy(sample_host: SampleHost, canary: bytes, server) -> Iterator[Path]:
    """A copy of the sample host that www-data can read (symlinks copied as symlinks), taken
    once the server has built its pages into the output. Its pool pages are rendered on
    request ([pages] pool = "lazy", the default), and the exports serve only files that
    exist: a crawl asks for each page first, as a visitor would."""
    crawl(server.url.rstrip("/"))
    _wait_until_settled(sample_host.output)
    top = Path(tempfile.mkdtemp(prefix="snapfront-apache-"))
    try:
        top.chmod(0o755)
        shutil.copytree(
            sample_host.dir, top / "demo", symlinks=True, ignore=shutil.ignore_patterns("gnupg")
        )
        yield top / "demo"
    finally:
        shutil.rmtree(top)


def _wait_until_settled(output: Path, window: float = 1.0, timeout: float = 20.0) -> None:
    """The watcher leaves out files younger than its quiet time (the host was just built) and
    renders their pages a moment after "listening on": copy once nothing changed for `window`
    (longer than the session config's `quiet`)."""

    def stamp() -> set[tuple[str, int]]:
        found = set()
        for folder, _, names in os.walk(output):
            for name in names:
                path = os.path.join(folder, name)
                with contextlib.suppress(OSError):
                    found.add((path, os.stat(path).st_mtime_ns))
        return found

    deadline = time.monotonic() + timeout
    last = stamp()
    while time.monotonic() < deadline:
        time.sleep(window)
        if (now := stamp()) == last:
            return
        last = now
    raise AssertionError(f"{output} kept changing for {timeout} s")


def test_apache_accepts_the_fragment_and_the_virtual_host(host_copy: Path, tmp_path: Path) -> None:
    _require_apache()
    config = host_copy / "snapfront.toml"
    port = free_port()
    whole = snapfront_rules(config, "--format", "apache", "--listen", f"127.0.0.1:{port}")
    assert whole.count("\n<VirtualHost") == 1
    _syntax_check(_write_conf(tmp_path, port, whole))
    fragment = snapfront_rules(config, "--format", "apache")
    assert "\n<VirtualHost" not in fragment
    (tmp_path / "inner").mkdir()
    wrapped = f"<VirtualHost 127.0.0.1:{port}>\n{fragment}</VirtualHost>\n"
    _syntax_check(_write_conf(tmp_path / "inner", port, wrapped))


@contextlib.contextmanager
def readable_static() -> Iterator[Path]:
    """A world-readable copy of site/static/ for www-data: the checkout (or the venv holding
    it) may sit in a private home such as /root, where Apache's children cannot read."""
    top = Path(tempfile.mkdtemp(prefix="snapfront-static-"))
    try:
        top.chmod(0o755)
        yield Path(shutil.copytree(static_dir(), top / "static"))
    finally:
        shutil.rmtree(top)


@contextlib.contextmanager
def running_apache(directory: Path, config: Path) -> Iterator[int]:
    """apache2 in the foreground on a loopback port, serving /-/static/ from a readable copy
    of site/static/; always stopped."""
    port = free_port()
    fragment = snapfront_rules(config, "--format", "apache", "--listen", f"127.0.0.1:{port}")
    with readable_static() as static:
        assert static_dir() in fragment
        conf = _write_conf(directory, port, fragment.replace(static_dir(), str(static)))
        proc = subprocess.Popen(
            [APACHE, "-f", str(conf), "-DFOREGROUND"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_port(port, proc, directory / "error.log")
            yield port
        finally:
            proc.send_signal(signal.SIGTERM)  # the children go with the parent
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_apache_serves_like_snapfront(
    sample_host: SampleHost, canary: bytes, server, host_copy: Path, tmp_path: Path
) -> None:
    _require_apache()
    snapfront_port = urlsplit(server.url).port
    assert snapfront_port is not None
    by_mount: dict[str, list[str]] = {}  # about 25 requests of each mount's share of the corpus
    for target, headers in corpus(sample_host):
        mount = next((m for m in ("/debian/", "/apt/", "/tagged/") if target.startswith(m)), "/")
        if not headers:
            by_mount.setdefault(mount, []).append(target)
    rng = random.Random(7)
    targets = [t for group in by_mount.values() for t in rng.sample(group, min(25, len(group)))]
    targets += [place(sample_host, t) for t in ALWAYS]
    targets = list(dict.fromkeys(targets))
    assert len(targets) >= 100, len(targets)
    print(f"{len(targets)} requests to each server")
    cc = DEFAULT_CACHE_CONTROL
    mismatches, used = [], set()
    config = load(str(sample_host.config))
    rules = Rules(config.mounts, config.output, read_inventory(config.mounts))

    def matches(rule, target: str) -> bool:
        path = target.split("?")[0]
        return _leaves_root(rules, path) if rule == "leaves-root" else rule(path)

    with running_apache(tmp_path, host_copy / "snapfront.toml") as apache_port:
        for target in targets:
            ours, theirs = get(snapfront_port, target), get(apache_port, target)
            assert canary not in theirs.body, target
            assert theirs.content_encoding is None, target
            listed = next((d for d in DIFFERENCES if matches(d[1], target)), None)
            if listed is None:
                if ours.key() != theirs.key():
                    mismatches.append(
                        f"{target[:99]}: snapfront {ours.key()} apache {theirs.key()}"
                    )
                continue
            used.add(listed[0])
            for answer, expect in zip((ours, theirs), listed[2:], strict=True):
                got = (answer.status, answer.cache_control, answer.location)
                location = place(sample_host, expect.location) if expect.location else None
                if got != (expect.status, cc[expect.cache], location):
                    mismatches.append(f"{target} ({listed[0]}): {got}, expected {expect}")
    assert used == {d[0] for d in DIFFERENCES}, used
    assert not mismatches, "\n".join(mismatches)
