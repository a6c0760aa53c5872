"""The live archive of a snapshots mount (/P/dists/ and below), and `apt update --snapshot`.

A snapshots basedir's live distributions (`dists/CODENAME/`, what `reprepro export` keeps
current) are served at /P/dists/… unless `[[mount]] live = false`. Their pages are listings
like a repository mount's, without each codename's `snapshots/` (served per serial, at
/P/SERIAL/dists/…). The archive page and the live pages carry the live source's stanza and
the one client line that sends `apt update --snapshot ID` for it to /P/ID/: APT ≥ 2.7 fills
`@PATH@` with the source URI's path and `@SNAPSHOTID@` with ID (a serial or a timestamp).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from urllib.parse import quote, urlsplit

from rewrite_rules import Archive, Mount
from rewrite_rules.resolve import DISTS, SNAPSHOTS_DIR

from .model import Page, Row, SnapshotConf, Suite
from .pages import Site, listing, page, suite

CONF_PATH = "/etc/apt/apt.conf.d/50snapfront-snapshots"
BUILTIN_ORIGINS = {"Debian": "snapshot.debian.org", "Ubuntu": "snapshot.ubuntu.com"}
BUILTIN_LABELS = {"Debian-Security": "snapshot.debian.org"}
"""APT's own defaults (apt-pkg/init.cc): a live Release with one of these sends `--snapshot`
to that server whatever a Host line says (Release-based lookup comes first)."""


def live_suites(mount: Mount, archive: Archive, site: Site) -> tuple[Suite, ...]:
    """The live distributions with their stanza (URI: the mount itself); none when off."""
    if not mount.live:
        return ()
    found = []
    for codename in archive.codenames:
        directory = os.path.join(mount.root, DISTS, codename)
        one = suite(mount, site, directory, mount.url, f"{mount.url}{DISTS}/{quote(codename)}/")
        if one is not None:
            found.append(one)
    return tuple(found)


def snapshot_conf(site: Site, suites: tuple[Suite, ...]) -> SnapshotConf | None:
    """`Acquire::Snapshots::URI::Host::HOST` (the host name without the port) for this host."""
    if not suites:
        return None
    url = urlsplit(site.public_url)
    host = url.hostname or "localhost"
    text = (
        "// apt update --snapshot SERIAL (YYYYMMDDNN) or TIME (YYYYMMDDTHHMMSSZ, YYYYMMDD)\n"
        f'Acquire::Snapshots::URI::Host::{host} "{url.scheme}://{url.netloc}/@PATH@/@SNAPSHOTID@/";\n'
    )
    return SnapshotConf(CONF_PATH, text, _trap(suites))


def _trap(suites: tuple[Suite, ...]) -> str | None:
    for one in suites:
        dist = one.distribution
        server = BUILTIN_LABELS.get(dist.label) or BUILTIN_ORIGINS.get(dist.origin)
        if server:
            field = "Label" if dist.label in BUILTIN_LABELS else "Origin"
            value = dist.label if field == "Label" else dist.origin
            return (
                f"{dist.codename}'s Release says {field}: {value}: APT sends --snapshot for it to "
                f"{server}, not here, whatever this line says. Give the distribution its own "
                f"{field} in conf/distributions (then reprepro export)."
            )
    return None


def outputs(mount: Mount, archive: Archive, site: Site) -> Iterator[Page]:
    """/P/dists/, each codename's live tree (minus snapshots/); nothing with live = false."""
    suites = live_suites(mount, archive, site)
    if not mount.live:
        return
    conf = snapshot_conf(site, suites)
    rows = tuple(
        Row(c + "/", quote(c) + "/", True)
        for c in archive.codenames
        if os.path.isdir(os.path.join(mount.root, DISTS, c))
    )
    yield page(f"{mount.url}{DISTS}/", rows=rows, suites=suites, snapshot_conf=conf)
    for codename in archive.codenames:
        own = tuple(s for s in suites if s.distribution.codename == codename)
        top = os.path.join(DISTS, codename)
        url = f"{mount.url}{DISTS}/{quote(codename)}/"
        for rel, found in _tree(mount, archive, site, top, url, frozenset()):
            yield replace(found, suites=own, snapshot_conf=conf) if rel == top else found


def _tree(
    mount: Mount, archive: Archive, site: Site, rel: str, url: str, above: frozenset[str]
) -> Iterator[tuple[str, Page]]:
    """The page of `rel` and every directory below it, except a codename's snapshots/ and
    nested codenames (their own tree); links back up into the walk are left out."""
    folder = os.path.join(mount.root, rel)
    real = os.path.realpath(folder)
    if real in above or not os.path.isdir(folder):
        return
    codename_dirs = {os.path.join(DISTS, c) for c in archive.codenames}
    entries = site.scan(folder, mount)
    if rel in codename_dirs:
        entries = tuple(e for e in entries if e.name != SNAPSHOTS_DIR)
    yield rel, page(url, rows=listing(entries, folder))
    for entry in sorted(entries, key=lambda e: e.name):
        child = os.path.join(rel, entry.name)
        if entry.is_dir and child not in codename_dirs:
            below = f"{url}{quote(entry.name)}/"
            yield from _tree(mount, archive, site, child, below, above | {real})
