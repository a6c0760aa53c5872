"""The `apt update --snapshot` client file on archive pages (generator.live_pages): the Host
line, the Label line that rescues a Release saying `Origin: Debian`, and the Origin/Label trap
warning. Pure: Release facts in, file text and warning out."""

from __future__ import annotations

import pytest

from snapfront.basedir.model import Distribution
from snapfront.generator.live_pages import CONF_PATH, conf_for

pytestmark = pytest.mark.pure


URL = "https://releases.example.org:8443/"
TEMPLATE = '"https://releases.example.org:8443/@PATH@/@SNAPSHOTID@/";'
HOST_LINE = f"Acquire::Snapshots::URI::Host::releases.example.org {TEMPLATE}"


def dist(origin: str = "", label: str = "", codename: str = "bookworm") -> Distribution:
    return Distribution(
        codename=codename, suite=codename, origin=origin, label=label,
        architectures=("amd64",), components=("main",), date=None, valid_until=None,
        signed=True, has_sources=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("origin", "label", "server"),
    [
        ("Debian", "", "Origin: Debian: APT sends --snapshot for it to snapshot.debian.org"),
        ("Debian", "Debian", "Origin: Debian: APT sends --snapshot for it to snapshot.debian.org"),
        ("Ubuntu", "Ubuntu", "Origin: Ubuntu: APT sends --snapshot for it to snapshot.ubuntu.com"),
        ("Mirror", "Debian-Security", "Label: Debian-Security: APT sends --snapshot for it to "
                                      "snapshot.debian.org"),
        ("Debian", "Debian-Security", "Label: Debian-Security: APT sends --snapshot for it to "
                                      "snapshot.debian.org"),
        ("Debian", "our mirror", "Origin: Debian: APT sends"),  # a Label with a space: no key
    ],
)  # fmt: skip
def test_builtin_origins_and_labels_give_the_warning(origin: str, label: str, server: str) -> None:
    conf = conf_for(URL, (dist("Acceptance", "Acceptance", "trixie"), dist(origin, label)))
    assert conf.warning is not None and conf.warning.startswith(f"bookworm's Release says {server}")
    assert conf.warning.endswith("Give the distribution its own " + server.split(":")[0]
                                 + " in conf/distributions (then reprepro export).")  # fmt: skip
    assert "URI::Label::" not in conf.text  # nothing a Label line could rescue


@pytest.mark.parametrize(
    ("origin", "label"),
    [("Acceptance", "Acceptance"), ("", ""), ("snapfront demo", "Debian snapshots"),
     ("Debian-Ports", "Debian"), ("", "Debian")],
)  # fmt: skip
def test_other_origins_get_the_host_line_alone(origin: str, label: str) -> None:
    conf = conf_for(URL, (dist(origin, label),))
    assert conf.warning is None
    assert conf.path == CONF_PATH == "/etc/apt/apt.conf.d/50snapfront-snapshots"
    assert conf.text.splitlines()[1:] == [HOST_LINE]  # the port stays out of the key
    assert conf.text.startswith("// apt update --snapshot SERIAL")


def test_an_own_label_rescues_origin_debian() -> None:
    """APT asks `…URI::Label::L` before `…URI::Origin::O`: the distribution's own Label beats
    the built-in `Origin::Debian`, without re-signing anything."""
    dists = (dist("Debian", "Tails"), dist("Debian", "Tails", "trixie"), dist("Ubuntu", "Acme-1.0"))
    conf = conf_for(URL, dists)
    assert conf.warning is None
    assert conf.text.splitlines()[1:] == [
        HOST_LINE,
        f"Acquire::Snapshots::URI::Label::Tails {TEMPLATE}",  # once for both codenames
        f"Acquire::Snapshots::URI::Label::Acme-1.0 {TEMPLATE}",
    ]
