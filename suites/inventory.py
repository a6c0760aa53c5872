"""The suites of a repository basedir with their kinds, and what each holds (`suite list`)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from snapfront.base.errors import Refused
from snapfront.basedir.inventory import configured_codenames
from snapfront.lifecycle.repo import Repo

from .conf_files import read_model
from .history import read
from .names import UPLOADABLE, SuiteKind
from .packages import SOURCE_PREFIX, Packages, read_suite


@dataclass(frozen=True)
class SuiteInfo:
    name: str
    kind: SuiteKind
    ref: str | None
    binaries: int
    sources: int
    uploads: bool
    last_change: float | None  # the newest event of its history, else dists/SUITE's mtime


def kinds(root: str) -> dict[str, tuple[SuiteKind, str | None]]:
    """Every configured suite → (kind, Git ref): snapfront's by its model, the rest `other`."""
    model = read_model(root)
    found: dict[str, tuple[SuiteKind, str | None]] = {}
    for name in configured_codenames(root):
        entry = model.get(name)
        found[name] = (entry.kind, entry.ref) if entry else (SuiteKind.OTHER, None)
    return found


def require_suites(root: str, mount: str, names: list[str]) -> dict[str, SuiteKind]:
    known = kinds(root)
    for name in names:
        if name not in known:
            raise Refused(f"{mount}: no suite {name} (suites: {' '.join(known) or 'none'})")
    return {name: known[name][0] for name in names}


def read_only(mount: str, suite: str, kind: SuiteKind) -> None:
    if kind is SuiteKind.RELEASE:
        raise Refused(f"{mount}: {suite} is a release's suite: read-only")


def suite_infos(repo: Repo) -> list[SuiteInfo]:
    infos = []
    for name, (kind, ref) in kinds(repo.root).items():
        packages: Packages = read_suite(repo.reprepro, name)
        sources = sum(1 for k in packages if k.startswith(SOURCE_PREFIX))
        events = read(repo.root, name).events
        last = events[-1].when if events else _mtime(os.path.join(repo.root, "dists", name))
        uploads = kind in UPLOADABLE
        infos.append(SuiteInfo(name, kind, ref, len(packages) - sources, sources, uploads, last))
    return infos


def _mtime(path: str) -> float | None:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return None
