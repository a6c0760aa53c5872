"""SHA256SUMS of a files mount's directories (issue 13), with the real tools: a directory
downloaded from a running `snapfront serve` passes `sha256sum -c`; the sums follow changes
(a rebuild, the watcher); a release manager's own SHA256SUMS wins; their signature of it is
linked and verifies with gpg; nothing that is not served (a FIFO, a link out of the root, a
name no URL can hold, an upload still being written) is ever listed."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

from snapfront import sample
from snapfront.base.config import load
from snapfront.generator.build import Builder
from snapfront.generator.checksums import nameable
from snapfront.generator.plan import Change, Part, PartKind, affected
from snapfront.rewrite_rules import Mount, MountKind
from tests.support import Running, fetch, running_server

pytestmark = pytest.mark.live


SHA256SUM = "sha256sum"
RELEASE = "mediawiki/1.41"
PAGE = f"/releases/{RELEASE}/"
SUMS_URL = PAGE + "SHA256SUMS"
ODD = "a b+c~d é.txt"  # spaces, +, ~ and UTF-8: a URL names it, so the sums list it
UNNAMEABLE = ("new\nline.txt", "back\\slash.txt")  # no URL can name these: never listed
WITHIN = 5.0  # seconds for the watcher to catch up (quiet 0.5 s, max_wait 5 s)


@dataclass(frozen=True)
class Host:
    dir: Path
    config: Path
    root: Path
    output: Path
    secret: bytes

    @property
    def release(self) -> Path:
        return self.root / RELEASE


def require(*tools: str) -> None:
    for tool in tools:
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} not found: apt-get install coreutils gpg")


def make_host(base: Path) -> Host:
    """One files mount at /releases/: a release directory with real tarballs, a signature,
    an odd name, names no URL can hold, a FIFO and a link to a secret outside the root."""
    base.mkdir(parents=True)
    root, secret = base / "releases", os.urandom(16).hex().encode()
    release = root / RELEASE
    release.mkdir(parents=True)
    for version in ("1.41.0", "1.41.1"):
        sample.make_tarball(release, f"mediawiki-{version}", {"README": f"MediaWiki {version}\n"})
    (release / "mediawiki-1.41.1.tar.gz.sig").write_bytes(b"not really a signature\n")
    (release / ODD).write_text("odd name\n")
    (release / "README.md").write_text("# MediaWiki 1.41\n")
    for name in UNNAMEABLE:
        (release / name).write_text("unreachable\n")
    os.mkfifo(release / "pipe.tar.gz")
    (base / "secret.txt").write_bytes(secret)
    os.symlink(base / "secret.txt", release / "escape.tar.gz")
    (root / "mediawiki" / "1.42").mkdir()  # holds no file: no SHA256SUMS
    for path in release.iterdir():  # uploaded a while ago: no longer held back by the watcher
        os.utime(path, (time.time() - 600,) * 2, follow_symlinks=False)
    config = base / "snapfront.toml"
    config.write_text(
        '[server]\nlisten = "127.0.0.1:0"\noutput = "output"\n\n'
        '[[mount]]\nurl = "/releases/"\nkind = "files"\nroot = "releases"\n'
    )
    (base / "output").mkdir()
    return Host(base, config, root, base / "output", secret)


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Host:
    require(SHA256SUM, "tar")
    return make_host(tmp_path_factory.mktemp("sums") / "host")


@pytest.fixture(scope="module")
def server(host: Host) -> Iterator[Running]:
    with running_server(host.config) as running:
        yield running


def get(server: Running, path: str) -> bytes:
    reply = fetch(server.url.rstrip("/") + path)
    assert reply.status == 200, (path, reply.status, reply.body[:200])
    return reply.body


def listed(sums: bytes) -> dict[str, str]:
    """name → digest of a SHA256SUMS in GNU's text-mode format (no escaped lines expected)."""
    found = {}
    for line in sums.decode("utf-8").splitlines():
        digest, sep, name = line.partition("  ")
        assert sep and len(digest) == 64 and not line.startswith("\\"), line
        found[name] = digest
    return found


def download(server: Running, page: str, into: Path) -> list[str]:
    """Every file the directory's index.json lists, and its SHA256SUMS, as a user would (but
    names no URL can hold, which the listing shows and no request can fetch)."""
    entries = json.loads(get(server, page + "index.json"))["entries"]
    names = [e["name"] for e in entries if e["type"] == "file" and nameable(e["name"])]
    names += [sig["href"] for e in entries for sig in e["signatures"]]
    into.mkdir()
    for name in names:
        (into / name).write_bytes(get(server, page + quote(name)))
    (into / "SHA256SUMS").write_bytes(get(server, page + "SHA256SUMS"))
    return names


def sha256sum_check(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SHA256SUM, "--check", "--strict", "SHA256SUMS"],
        cwd=folder, capture_output=True, text=True, check=False,
    )  # fmt: skip


def signature_links(server: Running) -> list[dict[str, str]] | None:
    checksums = json.loads(get(server, PAGE + "index.json"))["checksums"]
    return checksums and checksums["signatures"]


def until(check: Callable[[], bool], timeout: float = WITHIN) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not within {timeout} s"
        time.sleep(0.05)


def test_sha256sum_checks_a_downloaded_release_directory(
    host: Host, server: Running, tmp_path: Path
) -> None:
    names = download(server, PAGE, tmp_path / "dl")
    checked = sha256sum_check(tmp_path / "dl")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    sums = listed((tmp_path / "dl" / "SHA256SUMS").read_bytes())
    assert sorted(sums) == sorted(names)  # every file of the download, each one OK
    assert checked.stdout.splitlines() == [f"{name}: OK" for name in sorted(sums)]
    assert {"mediawiki-1.41.1.tar.gz", "mediawiki-1.41.1.tar.gz.sig", ODD, "README.md"} <= set(sums)
    reply = fetch(server.url.rstrip("/") + SUMS_URL)
    assert reply.header("Content-Type") == "text/plain; charset=utf-8"
    assert (
        reply.header("Cache-Control")
        == "public, max-age=10, s-maxage=60, stale-while-revalidate=30"
    )
    assert reply.header("Content-Encoding") is None
    page = get(server, PAGE).decode()
    assert '<a class="checksums" href="SHA256SUMS" type="text/plain">SHA256SUMS</a>' in page
    document = json.loads(get(server, PAGE + "index.json"))
    by_name = {e["name"]: e["sha256"] for e in document["entries"] if e["type"] == "file"}
    assert all(by_name[name] == digest for name, digest in sums.items() if name in by_name)
    assert document["checksums"] == {"href": "SHA256SUMS", "generated": True, "signatures": []}


def test_nothing_unservable_is_ever_listed(host: Host, server: Running) -> None:
    """A FIFO, a link out of the root and names no URL can hold: never in SHA256SUMS."""
    sums = get(server, SUMS_URL)
    names = listed(sums)
    for name in ("pipe.tar.gz", "escape.tar.gz", *UNNAMEABLE):
        assert os.path.lexists(host.release / name) and name not in names, name
    assert hashlib.sha256(host.secret).hexdigest().encode() not in sums
    assert b"\\" not in sums and b"pipe" not in sums and b"escape" not in sums
    assert fetch(server.url.rstrip("/") + "/releases/mediawiki/1.42/SHA256SUMS").status == 404
    assert fetch(server.url.rstrip("/") + "/releases/mediawiki/SHA256SUMS").status == 404


def test_the_watcher_refreshes_the_sums_of_a_changed_file(host: Host, server: Running) -> None:
    tarball = host.release / "mediawiki-1.41.0.tar.gz"
    before = listed(get(server, SUMS_URL))["mediawiki-1.41.0.tar.gz"]
    tarball.write_bytes(tarball.read_bytes() + b"\0")  # rebuilt in place
    after = hashlib.sha256(tarball.read_bytes()).hexdigest()
    until(lambda: listed(get(server, SUMS_URL)).get("mediawiki-1.41.0.tar.gz") == after)
    assert after != before
    added = host.release / "mediawiki-1.41.2.tar.gz"
    added.write_bytes(b"a new release\n")
    until(lambda: "mediawiki-1.41.2.tar.gz" in listed(get(server, SUMS_URL)))
    added.unlink()
    until(lambda: "mediawiki-1.41.2.tar.gz" not in listed(get(server, SUMS_URL)))


def test_a_signature_of_the_sums_is_linked_and_verifies(
    host: Host, server: Running, tmp_path: Path
) -> None:
    """The release manager signs the generated SHA256SUMS and puts SHA256SUMS.asc beside it:
    the page links it, and the sums stay the bytes it signs (it is not listed in them)."""
    require("gpg")
    gnupghome = tmp_path / "g"
    try:
        fingerprint = sample.make_key(gnupghome)
        signed = tmp_path / "SHA256SUMS"
        signed.write_bytes(get(server, SUMS_URL))
        asc = sample.sign_file(gnupghome, fingerprint, signed, armor=True)
        shutil.copy(asc, host.release / "SHA256SUMS.asc")
        asc_link = [{"label": "asc", "href": "SHA256SUMS.asc"}]
        until(lambda: signature_links(server) == asc_link)  # index.json: written after the page
        page = get(server, PAGE).decode()
        assert 'SHA256SUMS</a> <a class="sig" href="SHA256SUMS.asc"' in page
        fresh = tmp_path / "fresh"
        download(server, PAGE, fresh)
        (fresh / "SHA256SUMS.asc").write_bytes(get(server, PAGE + "SHA256SUMS.asc"))
        verify = subprocess.run(
            ["gpg", "--homedir", str(gnupghome), "--verify", "SHA256SUMS.asc", "SHA256SUMS"],
            cwd=fresh, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert verify.returncode == 0, verify.stderr
        assert sha256sum_check(fresh).returncode == 0
    finally:
        (host.release / "SHA256SUMS.asc").unlink(missing_ok=True)
        sample.stop_agent(gnupghome)


def test_the_release_managers_own_sums_win(host: Host, server: Running) -> None:
    generated = host.output / "releases" / RELEASE / "SHA256SUMS"
    until(generated.is_file)
    theirs = b"0" * 64 + b"  only-what-i-say.tar.gz\n"
    (host.release / "SHA256SUMS").write_bytes(theirs)
    (host.release / "SHA256SUMS.sig").write_bytes(b"their signature\n")
    try:
        assert get(server, SUMS_URL) == theirs  # served from the root at once
        until(lambda: not generated.exists())  # and no generated one is kept
        until(lambda: signature_links(server) == [{"label": "sig", "href": "SHA256SUMS.sig"}])
        assert b'SHA256SUMS</a> <a class="sig" href="SHA256SUMS.sig"' in get(server, PAGE)
        document = json.loads(get(server, PAGE + "index.json"))
        assert document["checksums"] == {
            "href": "SHA256SUMS",
            "generated": False,
            "signatures": [{"label": "sig", "href": "SHA256SUMS.sig"}],
        }
        assert get(server, SUMS_URL) == theirs
    finally:
        (host.release / "SHA256SUMS").unlink()
        (host.release / "SHA256SUMS.sig").unlink()
    until(generated.is_file)  # theirs gone: the generated one is back
    assert "mediawiki-1.41.1.tar.gz" in listed(get(server, SUMS_URL))


def test_a_rebuild_follows_changes_and_leaves_out_uploads_in_progress(tmp_path: Path) -> None:
    """`snapfront build` and the watcher's builder: a changed file changes SHA256SUMS, an
    unchanged tree rewrites nothing, a file still being written is not listed yet."""
    require(SHA256SUM, "tar")
    host = make_host(tmp_path / "host")
    sums = host.output / "releases" / RELEASE / "SHA256SUMS"
    cli = [sys.executable, "-m", "snapfront.cli", "build", "--config", str(host.config)]
    subprocess.run(cli, check=True, capture_output=True)
    first, stamp = sums.read_bytes(), sums.stat().st_mtime_ns
    subprocess.run(cli, check=True, capture_output=True)
    assert sums.stat().st_mtime_ns == stamp  # unchanged bytes are not rewritten
    (host.release / ODD).write_text("changed\n")
    subprocess.run(cli, check=True, capture_output=True)
    assert listed(sums.read_bytes())[ODD] == hashlib.sha256(b"changed\n").hexdigest()
    assert listed(sums.read_bytes()).keys() == listed(first).keys()
    assert not sums.with_name("SHA256SUMS.br").exists()  # never sent with Content-Encoding

    builder = Builder(load(str(host.config)))
    uploading = host.release / "mediawiki-1.41.3.tar.gz"
    uploading.write_bytes(b"half of it")
    report = builder.full(settled_ns=time.time_ns() - 10**9)  # written within the last second
    assert "mediawiki-1.41.3.tar.gz" not in listed(sums.read_bytes())
    assert str(host.release) in report.held_back
    builder.full()
    assert "mediawiki-1.41.3.tar.gz" in listed(sums.read_bytes())
    (host.release / "SHA256SUMS").write_text("theirs\n")  # the watcher's update, not a full build
    change = Change(f"{RELEASE}/SHA256SUMS", False, True)
    mount = builder.config.mounts[0]
    report = builder.update({mount.url: affected(mount, (), change)}, settled_ns=time.time_ns())
    assert not sums.exists() and f"releases/{RELEASE}/SHA256SUMS" in report.changed  # purged


def test_a_file_written_in_a_directory_replans_its_page_and_so_its_sums() -> None:
    """The watcher's plan: the directory's PAGE part writes its SHA256SUMS too."""
    mount = Mount("/releases/", MountKind.FILES, "/srv/releases", "releases")
    page = Part(PartKind.PAGE, RELEASE, PAGE)
    for name, structural in [("mediawiki-1.41.0.tar.gz", False), ("x.tar.gz", True),
                             ("SHA256SUMS", True), ("SHA256SUMS.asc", False)]:  # fmt: skip
        assert page in affected(mount, (), Change(f"{RELEASE}/{name}", False, structural)), name
