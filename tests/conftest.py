"""Fixtures built once per test run with the real tools: reprepro, gpg, dpkg, and snapfront itself."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest

from snapfront import sample
from tests import debroot
from tests.http_support import Item, items_of
from tests.kinds import (  # noqa: F401 (hooks: one kind per test; a pure test starts nothing)
    pytest_collection_modifyitems,
    pytest_runtest_call,
    pytest_runtest_setup,
)
from tests.support import Running, escape_links, running_server, with_listen


@pytest.fixture(scope="session")
def sample_host(tmp_path_factory: pytest.TempPathFactory) -> sample.SampleHost:
    """A real host: snapshots (two serials, a slash codename, sources), a plain repository,
    a tagged snapshot and a release tree, built by reprepro and signed by gpg."""
    sample.require_tools()  # fails, naming the Debian package, when a tool is missing
    return sample.build_sample_host(tmp_path_factory.mktemp("host") / "demo")


@pytest.fixture(scope="session")
def canary(sample_host: sample.SampleHost) -> bytes:
    """A secret placed beside (never inside) the roots: no response may ever contain it."""
    token = secrets.token_hex(16).encode()
    for place in (sample_host.dir / "canary.txt", sample_host.snapshots_root.parent / "canary.txt"):
        place.write_bytes(b"CANARY " + token + b"\n")
    outside = sample_host.dir / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "secret.txt").write_bytes(b"CANARY " + token + b"\n")
    # Symlinks inside roots that point outside them must not leak the canary either.
    for link in escape_links(sample_host):
        if not link.is_symlink():
            target = outside if link.name == "escape" else outside / "secret.txt"
            os.symlink(target, link)
    return token


@pytest.fixture(scope="session")
def server(sample_host: sample.SampleHost, canary: bytes) -> Iterator[Running]:
    config = with_listen(sample_host.config, "127.0.0.1:0", sample_host.dir / "test.toml")
    with running_server(config) as running:
        yield running


@pytest.fixture(scope="session")
def base_url(server: Running) -> str:
    return server.url.rstrip("/")


@pytest.fixture(scope="session")
def sample_items(sample_host: sample.SampleHost) -> dict[str, Item]:
    """The sample host's files by name (deb, inrelease, tarball): the URL path a client sends
    and the file on disk it must answer with."""
    return items_of(sample_host)


_BASES: list[debroot.Bases] = []
"""The session's Bases, for the terminal summary (a session fixture is gone by then)."""


@pytest.fixture(scope="session")
def debian_bases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[debroot.Bases]:
    """Fresh minbase roots per suite (debootstrap or the cache), copied for each test."""
    bases = debroot.Bases(tmp_path_factory.mktemp("debroot"))
    _BASES.append(bases)
    yield bases
    bases.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """What each Debian root cost (debootstrap or the day's cached tarball), beside
    --durations' slowest tests: CI's log then shows each stage's time."""
    lines = [line for bases in _BASES for line in bases.summary()]
    if lines:
        terminalreporter.write_sep("=", "Debian roots (tests/debroot.py)")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def lifecycle_template(tmp_path_factory: pytest.TempPathFactory):
    """Two codenames with ValidFor, three serials; tests copy it (tests/lifecycle_support.py)."""
    from tests.lifecycle_support import build_template

    sample.require_tools()
    return build_template(tmp_path_factory.mktemp("lifecycle") / "template")


@pytest.fixture
def world(lifecycle_template, tmp_path):
    """A private copy of the lifecycle template; its gpg-agent is stopped afterwards."""
    from tests.lifecycle_support import copy_world, stop_agent

    copy = copy_world(lifecycle_template, tmp_path / "host")
    yield copy
    stop_agent(copy)


@pytest.fixture(scope="session")
def tails_host(tmp_path_factory: pytest.TempPathFactory):
    """Tails' origins, one basedir each, with the codenames its scripts ask for
    (tests/tails_host.py)."""
    from tests.tails_host import build_tails_host

    return build_tails_host(tmp_path_factory.mktemp("tails") / "host")


@pytest.fixture(scope="session")
def tails_servers(tails_host, tmp_path_factory: pytest.TempPathFactory):
    """The Tails-like host as snapfront serves it and as a files-only nginx does, each over
    HTTP and over HTTPS with one certificate from a test CA (tests/tls_support.py)."""
    from tests.tails_host import Served, tails_nginx
    from tests.tls_support import make_authority, with_tls

    authority = make_authority(tmp_path_factory.mktemp("tails-ca"))
    leaf = authority.issue("tails")
    config = with_tls(tails_host.config, leaf, tails_host.dir / "test.toml")
    with (
        running_server(config, tls=True) as snapfront,
        tails_nginx(
            tails_host, tmp_path_factory.mktemp("tails-nginx"), leaf, authority.cert
        ) as nginx,
    ):
        assert snapfront.tls_url is not None
        yield {
            "snapfront": Served(snapfront.url, snapfront.tls_url, authority.cert),
            "nginx": nginx,
        }


@pytest.fixture(scope="session")
def tails_hosts(tails_servers) -> dict[str, str]:
    """The Tails-like host's plain HTTP URL as snapfront serves it and as nginx does."""
    return {kind: served.http for kind, served in tails_servers.items()}
