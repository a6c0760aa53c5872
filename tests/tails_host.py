"""A snapshot host laid out as Tails' is, served by snapfront and by a files-only nginx.

One reprepro basedir per origin (an archive: `debian`, `debian-security`, `torproject`,
`tails`), each with the codename Tails' `bin/apt-snapshots-expiry` asks it for, and its own
serials, so that a tool mixing origins up shows. nginx serves it as Tails' host does: the
reprepro tree as files, `/ORIGIN/SERIAL/dists/CODENAME/F` rewritten to
`dists/CODENAME/snapshots/SERIAL/F`, `/ORIGIN/SERIAL/pool/X` to `pool/X`, the trace a file in
the tree (`project/trace/ORIGIN`, as the host's cron writes it), no directory pages. Both
serve plain HTTP and HTTPS (one certificate from a test CA), as Tails' host does.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from snapfront import sample
from snapfront.basedir import tools
from tests.test_nginx_differential import NGINX, free_port, running_nginx
from tests.tls_support import Leaf


@dataclass(frozen=True)
class Archive:
    codename: str
    serials: tuple[str, ...]  # oldest first
    valid_for: str


# ORIGIN: (codename, serial suffixes after today's YYYYMMDD, reprepro ValidFor)
LAYOUT = {
    "debian": ("stable", ("01", "02"), "365d"),
    "debian-security": ("buster/updates", ("01", "02", "03"), "365d"),
    "torproject": ("buster", ("01",), "365d"),
    "tails": ("stable", ("01", "02"), "10d"),  # expires within the month the expiry report checks
}


@dataclass(frozen=True)
class TailsHost:
    dir: Path
    config: Path
    archives: dict[str, Archive]

    def root(self, origin: str) -> Path:
        return self.dir / "snapshots" / origin

    def newest(self, origin: str) -> str:
        return self.archives[origin].serials[-1]

    def release(self, origin: str, serial: str) -> Path:
        codename = self.archives[origin].codename
        return self.root(origin) / "dists" / codename / "snapshots" / serial / "Release"

    def valid_until(self, origin: str, serial: str) -> str:
        found = re.search(r"(?m)^Valid-Until: (.*)$", self.release(origin, serial).read_text())
        assert found, f"no Valid-Until in {origin} {serial}"
        return found.group(1)


@dataclass(frozen=True)
class Served:
    """One server of the Tails-like host: its two listeners and the CA file that verifies
    the HTTPS one."""

    http: str  # http://127.0.0.1:PORT/
    https: str  # https://127.0.0.1:PORT/
    ca: Path


def build_tails_host(directory: Path) -> TailsHost:
    """The basedirs, signed by a throwaway key; snapfront's config; each origin's trace, built
    by `snapfront build`, copied into its tree for nginx."""
    sample.require_tools()
    directory.mkdir(parents=True)
    today = dt.datetime.now(dt.UTC).strftime("%Y%m%d")
    gnupghome = directory / "gnupg"
    archives = {
        origin: Archive(codename, tuple(today + s for s in suffixes), valid_for)
        for origin, (codename, suffixes, valid_for) in LAYOUT.items()
    }
    host = TailsHost(directory, directory / "snapfront.toml", archives)
    fingerprint = sample.make_key(gnupghome)
    try:
        deb = sample.make_deb(directory, "hello", "1.0-1")
        for origin, archive in archives.items():
            _fill(host.root(origin), archive, origin, deb, gnupghome, fingerprint)
        tools.gpg(gnupghome, "--output", directory / "keyring.gpg", "--export", fingerprint)
    finally:
        sample.stop_agent(gnupghome)
    _write_config(host)
    built = subprocess.run(
        [sys.executable, "-m", "snapfront.cli", "build", "--config", str(host.config)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    for origin in archives:
        trace = Path("project") / "trace" / origin
        (host.root(origin) / trace).parent.mkdir(parents=True)
        shutil.copyfile(directory / "output" / origin / trace, host.root(origin) / trace)
    return host


def _fill(root: Path, archive: Archive, origin: str, deb: Path, gnupghome: Path, key: str) -> None:
    stanza = {"Origin": "Tails-like", "Label": origin, "Codename": archive.codename}
    stanza |= {"Architectures": "amd64", "Components": "main", "SignWith": key}
    sample.write_distributions(root, [stanza | {"ValidFor": archive.valid_for}])
    sample.reprepro(root, gnupghome, "includedeb", archive.codename, str(deb))
    for serial in archive.serials:
        sample.reprepro(root, gnupghome, "gensnapshot", archive.codename, serial)


def _write_config(host: TailsHost) -> None:
    text = '[server]\nlisten = "127.0.0.1:0"\noutput = "output"\n'
    for origin in host.archives:
        text += f'\n[[mount]]\nurl = "/{origin}/"\nkind = "snapshots"\n'
        text += f'root = "snapshots/{origin}"\nkeyring = "keyring.gpg"\n'
    host.config.write_text(text)


def nginx_server_block(host: TailsHost, port: int, tls_port: int, leaf: Leaf) -> str:
    """Tails-style nginx: files only (no autoindex), the serial's rewrites per origin, on
    `port` and with `leaf` on `tls_port`."""
    lines = ["server {", f"    listen 127.0.0.1:{port};", f"    listen 127.0.0.1:{tls_port} ssl;"]
    lines += [f"    ssl_certificate {leaf.chain};", f"    ssl_certificate_key {leaf.key};"]
    lines.append('    location ~ "^/[^/]+/(conf|db)/" { return 404; }  # reprepro\'s own')
    for origin, archive in host.archives.items():
        codename = re.escape(archive.codename)
        lines += [
            f"    location /{origin}/ {{",
            f"        alias {host.root(origin)}/;",
            f'        rewrite "^/{origin}/([0-9]{{10}})/dists/({codename})/(.*)$"'
            f" /{origin}/dists/$2/snapshots/$1/$3 last;",
            f'        rewrite "^/{origin}/[0-9]{{10}}/pool/(.*)$" /{origin}/pool/$1 last;',
            "    }",
        ]
    return "\n".join([*lines, "}", ""])


@contextlib.contextmanager
def tails_nginx(host: TailsHost, directory: Path, leaf: Leaf, ca: Path) -> Iterator[Served]:
    """nginx serving HOST as Tails' host does, over HTTP and (with `leaf`) HTTPS."""
    if not Path(NGINX).exists():
        raise AssertionError(f"{NGINX} not found: apt-get install nginx")
    port, tls_port = free_port(), free_port()
    while tls_port == port:
        tls_port = free_port()
    with running_nginx(directory, nginx_server_block(host, port, tls_port, leaf), port):
        yield Served(f"http://127.0.0.1:{port}/", f"https://127.0.0.1:{tls_port}/", ca)
