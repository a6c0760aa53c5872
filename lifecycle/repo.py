"""The reprepro basedir behind a snapshots mount, as the lifecycle commands act on it.

One lock for snapfront's own commands: `flock` on the basedir directory itself (nothing is
created, so a refused command leaves the tree byte-identical), held for the whole command so
two `take`s never pick the same serial and `gc` never races `take`. reprepro's own
`db/lockfile` still guards each reprepro call against other tools (cron's `update`): we wait
for it (`--waitforlock`) rather than fail.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from snapfront.basedir import tools
from snapfront.basedir.inventory import codenames_on_disk, configured_codenames, serials_on_disk
from snapfront.basedir.release import read_distribution, snapshot_dir
from snapfront.rewrite_rules import MountKind

from .expiry import SnapshotFacts

WAIT_FOR_LOCK = 30  # reprepro retries every 10 s: up to five minutes behind a cron update


@dataclass(frozen=True)
class Repo:
    root: str
    gnupghome: str | None = None

    def reprepro(self, *args: str, stdin: str = "") -> str:
        return tools.reprepro(
            self.root, *args, gnupghome=self.gnupghome, waitforlock=WAIT_FOR_LOCK, stdin=stdin
        )

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive among snapfront commands on this basedir; waits for the holder."""
        fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

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
        """Every codename snapshot on disk with its Release dates."""
        found = []
        for codename, serials in self.serials().items():
            for serial in sorted(serials):
                directory = self.snapshot_dir(codename, serial)
                dist = read_distribution(directory, self.root, MountKind.SNAPSHOTS)
                if dist is None:
                    found.append(SnapshotFacts(codename, serial, None, None, readable=False))
                else:
                    found.append(SnapshotFacts(codename, serial, dist.date, dist.valid_until))
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
