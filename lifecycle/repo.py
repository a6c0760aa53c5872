"""The reprepro basedir behind a snapshots mount, as the lifecycle commands act on it.

One lock for snapfront's own commands (lifecycle.basedir_lock), held for the whole command.
reprepro's own `db/lockfile` still guards each reprepro call against other tools (cron's
`update`): under our lock we wait while a live process holds it, and remove it when a killed
reprepro left it (lifecycle.stale_lock); reprepro's `--waitforlock` covers the rest.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from snapfront.basedir import tools
from snapfront.basedir.inventory import codenames_on_disk, configured_codenames, serials_on_disk
from snapfront.basedir.release import is_signed, read_distribution, snapshot_dir
from snapfront.rewrite_rules import MountKind

from . import basedir_lock, stale_lock
from .expiry import SnapshotFacts

WAIT_FOR_LOCK = 30  # reprepro retries every 10 s: up to five minutes behind a cron update


@dataclass(frozen=True)
class Repo:
    root: str
    gnupghome: str | None = None

    def reprepro(self, *args: str, stdin: str = "") -> str:
        if basedir_lock.holding(self.root):
            stale_lock.settle(self.root, self._reprepro)
        return self._reprepro(*args, stdin=stdin)

    def _reprepro(self, *args: str, stdin: str = "") -> str:
        return tools.reprepro(
            self.root, *args, gnupghome=self.gnupghome, waitforlock=WAIT_FOR_LOCK, stdin=stdin
        )

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive among snapfront commands on this basedir; waits for the holder."""
        with basedir_lock.hold(self.root):
            yield

    def configured(self) -> tuple[str, ...]:
        return configured_codenames(self.root)

    def codenames(self) -> tuple[str, ...]:
        """Configured ones and those still on disk (a codename dropped from conf/)."""
        return tuple(sorted(set(self.configured()) | set(codenames_on_disk(self.root))))

    def serials(self) -> dict[str, frozenset[str]]:
        """codename → its serials on disk."""
        return {name: serials_on_disk(self.root, name) for name in self.codenames()}

    def snapshot_dir(self, codename: str, serial: str) -> str:
        return snapshot_dir(self.root, codename, serial)

    def facts(self) -> list[SnapshotFacts]:
        """Every codename snapshot directory on disk, whole or not, with its Release dates."""
        found = []
        for codename, serials in self.serials().items():
            for serial in sorted(serials):
                directory = self.snapshot_dir(codename, serial)
                dist = read_distribution(directory, self.root, MountKind.SNAPSHOTS)
                date, until = (None, None) if dist is None else (dist.date, dist.valid_until)
                fact = SnapshotFacts(codename, serial, date, until, dist is not None)
                fact = replace(fact, signed=is_signed(directory))
                if not fact.whole:
                    fact = replace(fact, written=newest_mtime(directory))
                found.append(fact)
        return found

    def references(self) -> dict[str, set[str]]:
        """file key (`pool/…`) → the referees holding it (`s=CODENAME=SERIAL`, `CODENAME|c|a`)."""
        refs: dict[str, set[str]] = {}
        for line in self.reprepro("dumpreferences").splitlines():
            referee, _, filekey = line.partition(" ")
            if filekey:
                refs.setdefault(filekey, set()).add(referee)
        return refs

    def unreferenced(self, *options: str) -> list[str]:
        """What `deleteunreferenced` would delete now."""
        out = self.reprepro(*options, "dumpunreferenced")
        return [line for line in out.splitlines() if line]

    def path(self, filekey: str) -> str:
        return os.path.join(self.root, filekey)


def orphaned_by(refs: dict[str, set[str]], referees: Iterable[str]) -> list[str]:
    """File keys that no referee holds once `referees` are gone (and that some held before)."""
    going = set(referees)
    return sorted(key for key, holders in refs.items() if holders and holders <= going)


def file_bytes(paths: Iterable[str]) -> int:
    """Apparent sizes of the regular files among `paths` (missing ones count 0)."""
    total = 0
    for path in paths:
        with contextlib.suppress(OSError):
            total += os.lstat(path).st_size
    return total


def newest_mtime(directory: str) -> float | None:
    """The newest mtime of `directory` and everything under it; None when it is gone."""
    newest = None
    for parent, _dirs, names in os.walk(directory):
        for path in (parent, *(os.path.join(parent, name) for name in names)):
            with contextlib.suppress(OSError):
                mtime = os.lstat(path).st_mtime
                newest = mtime if newest is None else max(newest, mtime)
    return newest


def tree_files(directory: str) -> list[str]:
    """Every file (not directory) under `directory`, absolute; [] when it does not exist."""
    files = []
    for parent, _dirs, names in os.walk(directory):
        files += [os.path.join(parent, name) for name in names]
    return sorted(files)


def human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def first_line(exc: BaseException) -> str:
    """The first telling line of a tool's complaint (reprepro ends with a generic one)."""
    text = getattr(exc, "stderr", "") or str(exc)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    useful = [line for line in lines if line != "There have been errors!"]
    return (useful or lines or [type(exc).__name__])[0]


def plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")
