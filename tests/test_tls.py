"""HTTPS beside HTTP (issue 17, README: TLS), with a CA the tests make with openssl: curl and
apt-get over https get what http gives, a renewed certificate reaches the next connection while
a download in flight finishes on the old one, testssl.sh finds nothing Mozilla's intermediate
profile excludes, and a TLS connection has the same deadlines as a plain one."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from snapfront.sample import SampleHost
from tests.apt_client import AptRoot
from tests.support import Running, running_server
from tests.test_apt import pool_file, require_apt, sha256
from tests.tls_support import Authority, make_authority, require, served_fingerprint, with_tls

pytestmark = pytest.mark.live


HEADER_TIMEOUT = 3
SERVER_KEYS = f"workers = 2\nheader_timeout = {HEADER_TIMEOUT}\n"
TLS12 = {
    "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
}  # fmt: skip
TLS13 = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}


def add_server_keys(config: Path, keys: str = SERVER_KEYS) -> Path:
    config.write_text(config.read_text().replace("[server]\n", "[server]\n" + keys, 1))
    return config


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> Authority:
    return make_authority(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def https(sample_host: SampleHost, authority: Authority) -> Iterator[Running]:
    """The sample host on both listeners, two workers each listening on both."""
    config = with_tls(sample_host.config, authority.issue("host"), sample_host.dir / "tls.toml")
    with running_server(add_server_keys(config), tls=True) as running:
        yield running


def curl(url: str, ca: Path, directory: Path, *options: str) -> tuple[list[str], bytes]:
    """(the response head without Date, the body) as curl received it."""
    require("curl", "curl")
    head, body = directory / "head", directory / "body"
    result = subprocess.run(
        ["curl", "-sS", "--cacert", str(ca), "-D", str(head), "-o", str(body), *options, url],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    text, data = head.read_text(), body.read_bytes()
    if found := re.search(r"boundary=(\w+)", text):  # multipart/byteranges: random per answer
        text = text.replace(found[1], "BOUNDARY")
        data = data.replace(found[1].encode(), b"BOUNDARY")
    return [line for line in text.splitlines() if not line.lower().startswith("date:")], data


@pytest.mark.parametrize(
    ("path", "options"),
    [
        ("/debian/project/trace/debian", ()),
        ("/debian/{new}/dists/bookworm/InRelease", ()),
        (
            "/debian/{new}/dists/bookworm/main/binary-amd64/Packages",
            ("-H", "Accept-Encoding: gzip"),
        ),
        ("/debian/pool/main/h/hello/hello_1.0-1_all.deb", ()),
        ("/mediawiki/1.41/mediawiki-1.41.0.tar.gz", ("-r", "0-99,200-299")),
        ("/debian/{new}/", ("-H", "Accept: text/html")),
        ("/debian/1999010101/dists/bookworm/InRelease", ()),
        ("/debian/{new}/dists", ()),  # 301: Location is a path, the scheme stays the client's
        ("/mediawiki/1.41/mediawiki-1.41.0.tar.gz", ("-I",)),
    ],
)
def test_https_answers_what_http_answers(
    https: Running, sample_host: SampleHost, authority: Authority, tmp_path: Path,
    path: str, options: tuple[str, ...],
) -> None:  # fmt: skip
    path = path.format(new=sample_host.serials[1])
    plain = curl(https.url.rstrip("/") + path, authority.cert, tmp_path, *options)
    assert https.tls_url is not None
    port = https.tls_url.rstrip("/").rsplit(":", 1)[1]
    for host in ("127.0.0.1", "localhost"):  # the certificate names both (IP and DNS SAN)
        secure = curl(f"https://{host}:{port}{path}", authority.cert, tmp_path, *options)
        assert secure == plain


def test_apt_get_over_https(
    https: Running, sample_host: SampleHost, authority: Authority, tmp_path: Path
) -> None:
    """APT's own https transport (built in since apt 1.5), trusting only the test's CA."""
    require_apt()
    new = sample_host.serials[1]
    base = https.tls_url.rstrip("/")
    signed = f"[signed-by={sample_host.keyring}]"
    sources = [f"deb {signed} {base}/debian/{new}/ bookworm main",
               f"deb {signed} {base}/apt/ bookworm-mediawiki main"]  # fmt: skip
    apt = AptRoot(tmp_path / "apt", sources, {"Acquire::https::CaInfo": authority.cert})
    update = apt.run("update")
    assert update.returncode == 0 and not update.problems(), update.output
    assert all("https://" in line for line in update.lines("Get:")), update.output
    assert update.lines("Get:"), update.output
    assert apt.candidate("hello") == "1.1~rc1-1"
    download = apt.run("download", "hello", "mediawiki-tools", cwd=tmp_path)
    assert download.returncode == 0 and not download.problems(), download.output
    for package, root in (("hello", sample_host.snapshots_root),
                          ("mediawiki-tools", sample_host.repository_root)):  # fmt: skip
        (got,) = tmp_path.glob(f"{package}_*.deb")
        assert sha256(got) == sha256(pool_file(root, got.name.replace("%3a", ":")))


def test_a_tls_connection_has_the_deadlines_of_a_plain_one(https: Running) -> None:
    """A client that never starts its handshake, and one that completes it and then says
    nothing, are both closed after header_timeout, as a silent plain connection is."""
    host, port = https.tls_url.rstrip("/").split("//")[1].rsplit(":", 1)
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    for handshake in (False, True):
        with socket.create_connection((host, int(port)), timeout=20) as sock:
            started = time.monotonic()
            conn = context.wrap_socket(sock) if handshake else sock
            with contextlib.suppress(ConnectionResetError, ssl.SSLError):  # closed all the same
                assert conn.recv(1) == b""
            waited = time.monotonic() - started
        assert HEADER_TIMEOUT - 0.5 < waited < HEADER_TIMEOUT + 5, (handshake, waited)


def test_testssl_finds_nothing_the_intermediate_profile_excludes(
    https: Running, tmp_path: Path
) -> None:
    """testssl.sh (Debian package) on protocols, every cipher per protocol, forward secrecy
    and renegotiation: TLS 1.2 and 1.3 only, and only the profile's AEAD suites."""
    require("testssl", "testssl.sh")
    target = https.tls_url.rstrip("/").split("//")[1]
    report = tmp_path / "testssl.json"
    result = subprocess.run(
        ["testssl", "--quiet", "--color", "0", "--warnings", "off", "--nodns", "none",
         "--jsonfile", str(report), "-p", "-E", "-f", "-R", target],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert report.exists(), result.stdout + result.stderr
    findings = {f["id"]: f for f in json.loads(report.read_text())}
    print("\n".join(f"{f['id']}: {f['severity']} {f['finding']}" for f in findings.values()))
    for old in ("SSLv2", "SSLv3", "TLS1", "TLS1_1"):
        assert findings[old]["finding"] == "not offered", findings[old]
    assert findings["TLS1_2"]["finding"] == "offered"
    assert findings["TLS1_3"]["finding"].startswith("offered")
    ciphers = {f["finding"].split()[3]: i for i, f in findings.items() if i.startswith("cipher-")}
    tls12 = {name for name, i in ciphers.items() if i.startswith("cipher-tls1_2")}
    tls13 = {name for name, i in ciphers.items() if i.startswith("cipher-tls1_3")}
    assert tls12 and tls12 <= TLS12, tls12
    assert tls13 == TLS13, tls13
    assert set(ciphers) == tls12 | tls13, ciphers
    for name in ("secure_client_renego", "PFS"):
        assert findings[name]["severity"] in ("OK", "INFO"), findings[name]
    bad = [f for f in findings.values() if f["severity"] in ("MEDIUM", "HIGH", "CRITICAL")]
    assert not bad, bad


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """256 MiB of random bytes in a files root of its own, and its sha256."""
    root = tmp_path_factory.mktemp("tls-files")
    big, digest = root / "release.tar.gz", hashlib.sha256()
    with open(big, "wb") as fh:
        for _ in range(16):
            chunk = os.urandom(16 << 20)
            digest.update(chunk)
            fh.write(chunk)
    return root, digest.hexdigest()


def certbot_layout(live: Path, leaf_chain: Path, leaf_key: Path, generation: int) -> None:
    """certbot's: live/fullchain.pem and live/privkey.pem, symlinks into archive/, repointed
    (atomically) at each renewal."""
    archive = live.parent / "archive"
    archive.mkdir(parents=True, exist_ok=True)
    live.mkdir(parents=True, exist_ok=True)
    for name, source in (("fullchain", leaf_chain), ("privkey", leaf_key)):
        target = archive / f"{name}{generation}.pem"
        target.write_bytes(source.read_bytes())
        link = live / f"{name}.pem.new"
        link.unlink(missing_ok=True)
        link.symlink_to(os.path.relpath(target, live))
        link.replace(live / f"{name}.pem")


def files_config(directory: Path, root: Path, live: Path) -> Path:
    config = directory / "snapfront.toml"
    config.write_text(
        f'[server]\nlisten = "127.0.0.1:0"\noutput = "out"\n{SERVER_KEYS}'
        f'tls_listen = "127.0.0.1:0"\ntls_certificate = "{live}/fullchain.pem"\n'
        f'tls_key = "{live}/privkey.pem"\n\n'
        f'[[mount]]\nurl = "/"\nkind = "files"\nroot = "{root}"\n'
    )
    return config


def test_a_renewed_certificate_reaches_new_connections_while_a_download_finishes(
    authority: Authority, big_file: tuple[Path, str], tmp_path: Path
) -> None:
    """certbot renews (new files, symlinks repointed) and runs `systemctl reload`: SIGHUP. A
    rate-limited download started before goes on to the last byte; every connection made
    after the reload is shown the new certificate, by each of the two workers."""
    root, digest = big_file
    first, second = authority.issue("first"), authority.issue("second")
    live = tmp_path / "letsencrypt" / "live" / "example"
    certbot_layout(live, first.chain, first.key, 1)
    with running_server(files_config(tmp_path, root, live), tls=True) as running:
        assert running.tls_url is not None
        assert served_fingerprint(running.tls_url, authority.cert) == first.fingerprint()
        out = tmp_path / "download"
        download = subprocess.Popen(
            ["curl", "-sS", "--cacert", str(authority.cert), "--limit-rate", "40M",
             "-o", str(out), "-w", "%{http_code} %{size_download}",
             f"{running.tls_url}release.tar.gz"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 10
            while not out.exists() or out.stat().st_size < 20 << 20:
                assert time.monotonic() < deadline and download.poll() is None
                time.sleep(0.1)
            certbot_layout(live, second.chain, second.key, 2)
            running.signal(signal.SIGHUP)
            seen = [served_fingerprint(running.tls_url, authority.cert) for _ in range(12)]
            while seen[-1] != second.fingerprint():  # each worker applies it within moments
                assert time.monotonic() < deadline + 5, seen
                seen.append(served_fingerprint(running.tls_url, authority.cert))
            assert download.poll() is None, "the download must still be running: a test of nothing"
            after = [served_fingerprint(running.tls_url, authority.cert) for _ in range(12)]
            assert set(after) == {second.fingerprint()}
            stdout, stderr = download.communicate(timeout=60)
        finally:
            if download.poll() is None:
                download.kill()
                download.communicate()
        assert download.returncode == 0, stderr
        assert stdout == f"200 {256 << 20}"
        assert hashlib.sha256(out.read_bytes()).hexdigest() == digest
        reloads = [line for line in running.log.read_text().splitlines() if "reloaded" in line]
        assert len(reloads) == 2, reloads  # one from each worker
        assert all("certificate" in line and "valid until" in line for line in reloads), reloads


@pytest.mark.parametrize("breakage", ["garbage key", "mismatched key", "missing certificate"])
def test_a_broken_renewal_keeps_the_old_certificate(
    authority: Authority, big_file: tuple[Path, str], tmp_path: Path, breakage: str
) -> None:
    root, _ = big_file
    first, other = authority.issue("kept"), authority.issue("other")
    live = tmp_path / "live" / "example"
    certbot_layout(live, first.chain, first.key, 1)
    with running_server(files_config(tmp_path, root, live), tls=True) as running:
        assert running.tls_url is not None
        if breakage == "garbage key":
            (live / "privkey.pem").unlink()
            (live / "privkey.pem").write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n")
        elif breakage == "mismatched key":
            certbot_layout(live, first.chain, other.key, 2)
        else:
            (live / "fullchain.pem").unlink()
        running.signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while not _refusals(running):  # the supervisor checks once for every worker
            assert time.monotonic() < deadline, running.log.read_text()
            time.sleep(0.1)
        time.sleep(1.0)  # a worker or the watcher would have said it again by now
        refusals = _refusals(running)
        assert len(refusals) == 1, refusals
        key = "server.tls_certificate" if breakage == "missing certificate" else "server.tls_key"
        assert all(key in line and "certificate kept" in line for line in refusals), refusals
        for _ in range(6):
            assert served_fingerprint(running.tls_url, authority.cert) == first.fingerprint()
        secure = curl(f"{running.tls_url}release.tar.gz", authority.cert, tmp_path, "-I")
        assert secure[0][0].startswith("HTTP/1.1 200")


def _refusals(running: Running) -> list[str]:
    return [line for line in running.log.read_text().splitlines() if "reload refused" in line]
