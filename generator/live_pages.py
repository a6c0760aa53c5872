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
import re
from collections.abc import Iterator
from dataclasses import replace
from urllib.parse import quote, urlsplit

from snapfront.basedir.model import Distribution
from snapfront.rewrite_rules import Archive, Mount
from snapfront.rewrite_rules.resolve import DISTS, SNAPSHOTS_DIR

from .model import Page, Row, SnapshotConf, Suite
from .pages import Site, listing, page, suite

CONF_PATH = "/etc/apt/apt.conf.d/50snapfront-snapshots"
BUILTIN_ORIGINS = {"Debian": "snapshot.debian.org", "Ubuntu": "snapshot.ubuntu.com"}
BUILTIN_LABELS = {"Debian-Security": "snapshot.debian.org"}
"""APT's own defaults (apt-pkg/init.cc): a live Release with one of these sends `--snapshot`
to that server whatever a Host line says (Release-based lookup comes first)."""
GENERIC = frozenset({"Debian", "Ubuntu", "Debian-Security"})
"""Origin/Label values the real archives carry: a client line keyed on one would send those
archives' `--snapshot` here too."""
KEY_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+_-]*\Z")
"""A Label usable as one apt.conf key part (no space, no `::`, nothing to quote)."""


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
    """The client file for this host's live suites; None when there are none."""
    if not suites:
        return None
    return conf_for(site.public_url, tuple(one.distribution for one in suites))


def conf_for(public_url: str, dists: tuple[Distribution, ...]) -> SnapshotConf:
    """`Acquire::Snapshots::URI::Host::HOST` (the host name without the port), plus a
    `…URI::Label::LABEL` line only where a Release's built-in Origin would win over it.

    Host is the form printed because it always means "this archive" and nothing else: APT
    uses it when no cached live Release names a server, so also on a fresh root (the first
    `update --snapshot` of a build container, where a Label/Origin line alone fails with
    "Cannot identify snapshot server"), and it matches only sources on this host name. A
    Label or Origin key matches every source on any host whose Release carries that value:
    a generic one (`Debian`) would send Debian's own archive here. The one case a Host line
    cannot cover is `Origin: Debian` or `Ubuntu`, whose built-in entry wins once the live
    Release is cached; APT asks `…URI::Label::L` before `…URI::Origin::O` (debmetaindex.cc,
    SnapshotServer), so the distribution's own Label beats it. `Label: Debian-Security` is a
    built-in Override that nothing below it beats: that one only gets the warning.
    """
    url = urlsplit(public_url)
    template = f"{url.scheme}://{url.netloc}/@PATH@/@SNAPSHOTID@/"
    lines = [
        "// apt update --snapshot SERIAL (YYYYMMDDNN) or TIME (YYYYMMDDTHHMMSSZ, YYYYMMDD)",
        f'Acquire::Snapshots::URI::Host::{url.hostname or "localhost"} "{template}";',
    ]
    labels = dict.fromkeys(label for label in map(_own_label, dists) if label)
    lines += [f'Acquire::Snapshots::URI::Label::{label} "{template}";' for label in labels]
    return SnapshotConf(CONF_PATH, "\n".join(lines) + "\n", _trap(dists))


def _own_label(dist: Distribution) -> str | None:
    """The Label that rescues a distribution whose Origin is one of APT's built-ins."""
    if dist.origin not in BUILTIN_ORIGINS or dist.label in GENERIC:
        return None
    return dist.label if KEY_PART.match(dist.label) else None


def _trap(dists: tuple[Distribution, ...]) -> str | None:
    """Why the client file will not send `--snapshot` here for some distribution, or None."""
    for dist in dists:
        if dist.label in BUILTIN_LABELS:
            field, value, server = "Label", dist.label, BUILTIN_LABELS[dist.label]
        elif dist.origin in BUILTIN_ORIGINS and _own_label(dist) is None:
            field, value, server = "Origin", dist.origin, BUILTIN_ORIGINS[dist.origin]
        else:
            continue
        return (
            f"{dist.codename}'s Release says {field}: {value}: APT sends --snapshot for it to "
            f"{server}, not here, whatever this file says. Give the distribution its own "
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
