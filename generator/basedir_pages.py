"""Pages of reprepro basedirs served as they are: `repository` mounts (one basedir, its
internals hidden) and `tagged` mounts (TAG/ARCHIVE basedirs, only dists/ and pool/ shown).

A basedir's top page and each dists/CODENAME/ page carry the suites with their stanzas; a
repository mount's also their kinds, its top page the suites by kind and each suite's page
its recent history (generator.suite_pages).
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass, replace
from urllib.parse import quote

from snapfront.basedir.inventory import read_archive
from snapfront.rewrite_rules import Archive, Mount
from snapfront.rewrite_rules.resolve import DISTS, POOL, REPREPRO_INTERNALS, TAGGED_AREAS

from . import suite_pages
from .model import Page, Suite
from .pages import Output, Site, keyring_link, listing, page, suite, tree_pages
from .plan import Part, PartKind, page_url
from .uploads_pages import rejected_rows


@dataclass(frozen=True)
class Basedir:
    base: str  # relative to the mount's root: "" for a repository, "TAG/ARCHIVE" when tagged
    skip: frozenset[str] = frozenset()
    only: frozenset[str] | None = None
    suites_model: bool = False  # `snapfront suite` kinds and histories (a repository mount)

    def shows(self, name: str) -> bool:
        return name not in self.skip and (self.only is None or name in self.only)


REPOSITORY = Basedir("", skip=REPREPRO_INTERNALS, suites_model=True)


def full_parts(mount: Mount, archive: Archive, site: Site) -> set[Part]:
    return {Part(PartKind.TREE, "", mount.url)}


def repository_outputs(mount: Mount, archive: Archive, site: Site, part: Part) -> Iterator[Output]:
    yield from _basedir(mount, site, REPOSITORY, part.path, part.kind is PartKind.TREE)


def tagged_outputs(mount: Mount, archive: Archive, site: Site, part: Part) -> Iterator[Output]:
    segments = part.path.split("/") if part.path else []
    recursive = part.kind is PartKind.TREE
    if len(segments) >= 2:
        basedir = Basedir("/".join(segments[:2]), only=frozenset(TAGGED_AREAS))
        yield from _basedir(mount, site, basedir, part.path, recursive)
        return
    folder = os.path.join(mount.root, part.path)
    if not os.path.isdir(folder):
        return
    found = tuple(e for e in site.scan(folder, mount) if e.is_dir)
    keyring = keyring_link(mount) if not segments else None
    yield page(page_url(mount, part.path), rows=listing(found, folder), keyring=keyring)
    for entry in found if recursive else ():
        child = posixpath.join(part.path, entry.name)
        yield from tagged_outputs(
            mount, archive, site, Part(PartKind.TREE, child, page_url(mount, child))
        )


def _basedir(
    mount: Mount, site: Site, basedir: Basedir, rel: str, recursive: bool
) -> Iterator[Page]:
    """The basedir's top page (rel == base) or a page below it, and with `recursive` the rest."""
    root = os.path.join(mount.root, basedir.base)
    if not os.path.isdir(root):
        return
    if rel != basedir.base:
        area = rel[len(basedir.base) :].strip("/").split("/", 1)[0]
        if basedir.shows(area):  # a pool page carries no suite: no Release read for one
            suites = _suites(mount, site, basedir) if area != POOL else ()
            yield from _area(mount, site, basedir, suites, rel, recursive)
        return
    suites = _suites(mount, site, basedir)
    top = tuple(e for e in site.scan(root, mount) if basedir.shows(e.name))
    url = page_url(mount, basedir.base)
    uploads = rejected_rows(mount) if basedir is REPOSITORY else ()
    groups = ()
    if basedir.suites_model:
        known = suite_pages.known_suites(root)
        groups = suite_pages.suite_groups(root, known, f"{url}{DISTS}/")
    yield page(
        url, suites=suites, rows=listing(top, root), keyring=keyring_link(mount),
        uploads=uploads, suite_groups=groups,
    )  # fmt: skip
    for entry in top if recursive else ():
        if entry.is_dir and not (site.lazy_pool and entry.name == POOL):
            area = posixpath.join(rel, entry.name)
            yield from _area(mount, site, basedir, suites, area, True)


def _area(
    mount: Mount,
    site: Site,
    basedir: Basedir,
    suites: tuple[Suite, ...],
    rel: str,
    recursive: bool,
) -> Iterator[Page]:
    """Plain listings below a basedir; a dists/CODENAME/ page gets its suite on top."""
    dists = posixpath.join(basedir.base, DISTS)
    root = os.path.join(mount.root, basedir.base)
    known = suite_pages.known_suites(root) if basedir.suites_model else {}
    for sub, listing_page in tree_pages(site, mount, rel, page_url(mount, rel), False, recursive):
        codename = sub[len(dists) + 1 :]
        own = tuple(s for s in suites if s.distribution.codename == codename)
        if own:
            told = suite_pages.suite_history(root, known, codename) if known else None
            yield replace(listing_page, suites=own, history=told)
        else:
            yield listing_page


def _suites(mount: Mount, site: Site, basedir: Basedir) -> tuple[Suite, ...]:
    root = os.path.join(mount.root, basedir.base)
    url = page_url(mount, basedir.base)
    found = []
    known = suite_pages.known_suites(root) if basedir.suites_model else {}
    for codename in read_archive(root).codenames:
        directory = os.path.join(root, DISTS, codename)
        one = suite(mount, site, directory, url, f"{url}{DISTS}/{quote(codename)}/")
        if one is not None:
            kind = known.get(codename)
            found.append(replace(one, kind=kind[0].value) if kind else one)
    return tuple(found)
