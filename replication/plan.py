"""What a replication run does, decided without touching anything: the rsync stages of each
mount kind and their filters, what to delete or quarantine, which serials are arriving, the
lag. The rsync calls are in replication.rsync, the run in replication.run.

The stages follow Debian's mirror script (ftpsync): everything that is not metadata first,
then the metadata with `--delay-updates` (rsync keeps each new file in `.~tmp~/` and renames
them all at the end), deletions last. A client of the passive therefore never reads a
Release before the indexes and pool files it lists, nor a trace before its serial.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass

from snapfront.rewrite_rules import MountKind
from snapfront.rewrite_rules.export_rsyncd import DB_COPY, HIDDEN, module_name

__all__ = ["module_name"]

METADATA = {
    # any depth: a tagged mount's TAG/ARCHIVE/dists/ as well as a basedir's dists/
    MountKind.SNAPSHOTS: ("dists/", "project/trace/"),
    MountKind.REPOSITORY: ("dists/", "project/trace/"),
    MountKind.TAGGED: ("dists/", "project/trace/"),
    # a files mount: the checksum lists that name its tarballs
    MountKind.FILES: ("SHA256SUMS", "SHA256SUMS.*", "*SUMS", "*SUMS.*"),
}
LOCAL_ONLY = ("/db/", *HIDDEN[1:])
"""Never transferred, never deleted here: the replica's own database and work directories."""
_RSYNC_TEMP = re.compile(r"(?P<dir>(?:.*/)?)\.(?P<name>[^/]+)\.[A-Za-z0-9]{6}\Z")
"""rsync's temporary name for NAME, in NAME's directory: `.NAME.XXXXXX` (mkstemp)."""
_TEMP_NAME_MAX = 247  # NAME_MAX - 8: rsync cuts longer names short in the temporary name
_SERIAL_DIR = re.compile(r"(?:.*/)?dists/(?P<codename>.+)/snapshots/(?P<serial>\d{10})\Z")


@dataclass(frozen=True)
class Stage:
    """One rsync call: its filter rules (first match wins) and whether it delays renames."""

    name: str
    filters: tuple[str, ...]
    delay_updates: bool


def stages(kind: MountKind) -> tuple[Stage, Stage]:
    """Stage 1 everything but the metadata, stage 2 the metadata alone, neither deleting."""
    local = tuple(f"- {p}" for p in LOCAL_ONLY)
    metadata = METADATA[kind]
    first = Stage("data", (*local, *(f"- {p}" for p in metadata)), delay_updates=False)
    wanted = tuple(f"+ {p}**" if p.endswith("/") else f"+ {p}" for p in metadata)
    second = Stage("metadata", (*local, "+ */", *wanted, "- *"), delay_updates=True)
    return first, second


DATABASE = Stage("database", (), delay_updates=False)
"""The active's consistent copy of its reprepro database (module path DB_COPY/), pulled into
the same place here: asking for that path is what makes the active take the copy."""
__all__ += ["DB_COPY"]


@dataclass(frozen=True)
class Removals:
    """What the passive has and the active does not: `delete` (the active had it: the
    previous run's manifest lists it; or it is rsync's temporary file for one the active has
    or had, which a killed run left) and `quarantine` (it never had it: an upload to the
    wrong host), files first, then `directories` (deepest first) once empty."""

    delete: tuple[str, ...] = ()
    quarantine: tuple[str, ...] = ()
    directories: tuple[str, ...] = ()


def removals(local: Mapping[str, bool], remote: Set[str], manifest: Set[str]) -> Removals:
    """`local`: path → is a directory, relative, as this host has them (local-only parts left
    out); `remote`: the active's paths now; `manifest`: what earlier runs received."""
    delete, quarantine, directories = [], [], []
    for path, is_dir in sorted(local.items()):
        if path in remote:
            continue
        if is_dir:
            directories.append(path)
        elif path in manifest or rsync_temporary(path, remote, manifest):
            delete.append(path)
        else:
            quarantine.append(path)
    directories.sort(key=lambda p: (-p.count("/"), p))
    return Removals(tuple(delete), tuple(quarantine), tuple(directories))


def rsync_temporary(path: str, *known: Set[str]) -> bool:
    """Whether `path` is the temporary file of a transfer of a file in `known` (rsync, killed,
    could not remove it): never an upload to the wrong host."""
    match = _RSYNC_TEMP.match(path)
    if match is None:
        return False
    target = match["dir"] + match["name"]
    if any(target in paths for paths in known):
        return True
    if len(match["name"]) < _TEMP_NAME_MAX:
        return False
    return any(p.startswith(target) and "/" not in p[len(target) :] for ps in known for p in ps)


def serials(paths: Iterable[str]) -> dict[str, set[str]]:
    """Codename → the serial directories among `paths` (dists/CODENAME/snapshots/SERIAL)."""
    found: dict[str, set[str]] = {}
    for path in paths:
        match = _SERIAL_DIR.match(path)
        if match:
            found.setdefault(match["codename"], set()).add(match["serial"])
    return found


def arriving(remote: Iterable[str], local: Iterable[str]) -> tuple[str, ...]:
    """Serials the active has that this host has not (in any codename): hidden until the
    run that brings them has finished (basedir.intent, operation `replicate`)."""
    theirs, ours = serials(remote), serials(local)
    new = {s for codename, found in theirs.items() for s in found - ours.get(codename, set())}
    return tuple(sorted(new))


def newest_serial(paths: Iterable[str]) -> str | None:
    """The newest serial every codename has (what the active's trace names, if complete)."""
    found = serials(paths)
    if not found:
        return None
    common = set.intersection(*found.values())
    return max(common) if common else None


def lag_seconds(active_newest: float | None, passive_newest: float | None) -> float | None:
    """How far this host's newest serial is behind the active's (0 when level, None unknown)."""
    if active_newest is None:
        return None
    if passive_newest is None:
        return None
    return max(0.0, active_newest - passive_newest)
