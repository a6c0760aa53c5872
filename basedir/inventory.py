"""Read what rewrite_rules needs to know of a reprepro basedir: codenames and snapshot serials.

Codenames come from `conf/distributions` (a file, or a directory of `*.conf` files, as
reprepro allows); a basedir served without its conf/ (an rsync'd outdir) falls back to the
directories under `dists/` that hold a Release file or a snapshots/ directory.

A snapshot counts (is listed, served, counted) once its signed Release family is there
(basedir.release.is_signed: a stat or two) and no `take` recorded in the basedir's intent
record is still creating its serial (basedir.intent): a directory reprepro is writing, or one a
killed reprepro left half-written, is no serial. gpgv stays with what names the newest serial
(the trace, timestamps): a keyring changed before a `resign --all` must not hide every serial.
The lifecycle commands see every directory (`serials_on_disk`): they remove the half-written.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from debian.deb822 import Deb822

from snapfront.basedir.dates import snapshot_dates
from snapfront.basedir.intent import creating
from snapfront.basedir.release import is_signed, snapshot_dir
from snapfront.rewrite_rules import Archive, Mount, MountKind
from snapfront.rewrite_rules.names import INRELEASE, RELEASE, SERIAL, SNAPSHOTS_DIR, is_index_dir

_MAX_CODENAME_DEPTH = 3  # "jessie/updates" is two; leave room, but never walk a pool


def read_archive(
    root: str, keyring: str | None = None, dates: bool = False, dropped: Iterable[str] = ()
) -> Archive:
    """Codenames and serials; with `dates`, each complete signed snapshot's Date as well
    (verified against `keyring` when given), which timestamp URLs floor to. `dropped`:
    codenames gone from conf/distributions whose snapshots may still be on disk (what
    `snapshot drop-codename` removes), read as if they were still configured."""
    named = set(_configured_codenames(root)) or set(_codenames_on_disk(root))
    codenames = sorted(named | set(dropped))
    pending = creating(root)
    serials = {name: frozenset(_listed(root, name, pending)) for name in codenames}
    found = snapshot_dates(root, serials, keyring) if dates else {}
    return Archive(tuple(codenames), serials, found)


def read_inventory(mounts: Iterable[Mount], dates: bool = False) -> dict[str, Archive]:
    """Archives of the mounts whose URLs are rewritten by codename and serial."""
    return {
        m.url: read_archive(m.root, m.keyring, dates)
        for m in mounts
        if m.kind is MountKind.SNAPSHOTS
    }


def configured_codenames(root: str) -> tuple[str, ...]:
    """The codenames `conf/distributions` defines, in file order (none without conf/)."""
    return tuple(dict.fromkeys(_configured_codenames(root)))


def codenames_on_disk(root: str) -> tuple[str, ...]:
    """The directories under `dists/` that hold a Release or a snapshots/ directory."""
    return tuple(sorted(set(_codenames_on_disk(root))))


def serials_on_disk(root: str, codename: str) -> frozenset[str]:
    """Every serial directory of `codename`, whole or not (for the lifecycle commands)."""
    return frozenset(_serials(root, codename))


def _configured_codenames(root: str) -> Iterator[str]:
    for paragraph in _distributions(root):
        codename = paragraph.get("Codename", "").strip()
        if codename:
            yield codename


def sign_with(root: str) -> dict[str, str | None]:
    """Codename → its `SignWith:` value in conf/distributions (None when it has none)."""
    found: dict[str, str | None] = {}
    for paragraph in _distributions(root):
        codename = paragraph.get("Codename", "").strip()
        if codename:
            value = paragraph.get("SignWith")
            found[codename] = value.strip() if value is not None else None
    return found


def _distributions(root: str) -> Iterator[Deb822]:
    """The stanzas of conf/distributions (a file, or a directory of `*.conf` files), with
    those of the files its `!include:` lines name (as reprepro reads them)."""
    yield from distribution_stanzas(root)


def distribution_stanzas(root: str) -> Iterator[Deb822]:
    """Every stanza reprepro reads as conf/distributions, `!include:` followed (relative to
    conf/, or `+b/` the basedir, `+c/` conf/, or absolute), at most 10 levels deep."""
    conf = os.path.join(root, "conf")
    yield from _stanzas(root, os.path.join(conf, "distributions"), 0)


def _stanzas(root: str, path: str, depth: int) -> Iterator[Deb822]:
    if os.path.isdir(path):
        files = sorted(
            os.path.join(path, name)
            for name in os.listdir(path)
            if name.endswith(".conf") and not name.startswith(".")
        )
    else:
        files = [path] if os.path.isfile(path) else []
    for name in files:
        with open(name, encoding="utf-8", errors="replace") as fh:
            paragraphs = list(Deb822.iter_paragraphs(fh, use_apt_pkg=False))
        for paragraph in paragraphs:
            included = paragraph.get("!include")
            if included is None:
                yield paragraph
            elif depth < 10:
                yield from _stanzas(root, _included(root, included.strip()), depth + 1)


def _included(root: str, name: str) -> str:
    if name.startswith("+b/"):
        return os.path.join(root, name[3:])
    if name.startswith("+c/"):
        name = name[3:]
    return os.path.join(root, "conf", name)


def _codenames_on_disk(root: str) -> Iterator[str]:
    dists = os.path.join(root, "dists")

    def walk(path: str, rel: tuple[str, ...]) -> Iterator[str]:
        try:
            entries = list(os.scandir(path))
        except OSError:
            return
        names = {e.name for e in entries}
        if rel and names & {RELEASE, INRELEASE, SNAPSHOTS_DIR}:
            yield "/".join(rel)
        if len(rel) >= _MAX_CODENAME_DEPTH:
            return
        for entry in entries:
            if entry.is_dir(follow_symlinks=False) and not is_index_dir(entry.name):
                yield from walk(entry.path, (*rel, entry.name))

    yield from walk(dists, ())


def _serials(root: str, codename: str) -> Iterator[str]:
    path = os.path.join(root, "dists", codename, "snapshots")
    try:
        with os.scandir(path) as entries:
            for entry in entries:
                if SERIAL.match(entry.name) and entry.is_dir(follow_symlinks=False):
                    yield entry.name
    except OSError:
        return


def _listed(root: str, codename: str, pending: frozenset[str]) -> Iterator[str]:
    for serial in _serials(root, codename):
        if serial not in pending and is_signed(snapshot_dir(root, codename, serial)):
            yield serial


def codenames_with_serial(root: str, codenames: Iterable[str], serial: str) -> tuple[str, ...]:
    """The codenames whose snapshot `serial` counts (signed, not being taken): a stat or two
    each, cheap enough to run on every miss, so a serial is served from the moment its
    signature is written (and a trace names it)."""
    if not SERIAL.match(serial) or serial in creating(root):
        return ()
    return tuple(name for name in codenames if is_signed(snapshot_dir(root, name, serial)))
