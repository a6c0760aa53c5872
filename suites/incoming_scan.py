"""Reading a repository's incoming/: its files, the uploads their .changes describe (hashed
only where sizes match), and the rejected uploads taken aside under incoming/rejected/."""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field

from snapfront.base.digest import file_sha256

from .incoming import (
    REJECTED_DIR,
    BadChanges,
    Decision,
    Seen,
    State,
    Upload,
    changes_names,
    decide,
    parse_changes,
    to_hash,
    unreadable_is_stale,
)
from .names import INCOMING_DIR

REASON_FILE = "reason.json"


def incoming_dir(root: str) -> str:
    return os.path.join(root, INCOMING_DIR)


def rejected_dir(root: str) -> str:
    return os.path.join(root, INCOMING_DIR, REJECTED_DIR)


@dataclass
class Found:
    """incoming/ now: its files, each parsed upload with its decision, and the .changes that
    do not parse (name → why; `stale` those old enough to take aside)."""

    seen: dict[str, Seen] = field(default_factory=dict)
    uploads: list[tuple[Upload, Decision]] = field(default_factory=list)
    unreadable: dict[str, str] = field(default_factory=dict)
    stale: set[str] = field(default_factory=set)

    def ready(self) -> list[Upload]:
        return [u for u, d in self.uploads if d.state is State.READY]


def scan(root: str, now: float) -> Found:
    """Every file directly in incoming/ (not the rejected/ directory, nor hidden names)."""
    found = Found()
    folder = incoming_dir(root)
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return found
    for entry in entries:
        if entry.name.startswith(".") or not entry.is_file(follow_symlinks=False):
            continue
        with contextlib.suppress(FileNotFoundError):
            st = entry.stat(follow_symlinks=False)
            found.seen[entry.name] = Seen(st.st_size, st.st_mtime)
    for name in changes_names(found.seen):
        try:
            upload = parse_changes(name, _read(os.path.join(folder, name)))
        except (BadChanges, OSError) as exc:
            found.unreadable[name] = str(exc)
            if unreadable_is_stale(found.seen[name], now):
                found.stale.add(name)
            continue
        for listed in to_hash(upload, found.seen):
            seen = found.seen[listed]
            if seen.sha256 is None:
                digest = file_sha256(os.path.join(folder, listed))
                found.seen[listed] = Seen(seen.size, seen.mtime, digest)
        found.uploads.append((upload, decide(upload, found.seen, now)))
    return found


def changes_bytes(root: str, name: str) -> bytes | None:
    try:
        return _read(os.path.join(incoming_dir(root), name))
    except OSError:
        return None


@dataclass(frozen=True)
class Rejected:
    """One upload taken aside: `folder` its directory's name under incoming/rejected/."""

    folder: str
    changes: str
    suite: str
    source: str
    version: str
    signed: bool
    reason: str
    when: float
    files: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "folder": self.folder, "changes": self.changes, "suite": self.suite,
            "source": self.source, "version": self.version, "signed": self.signed,
            "reason": self.reason, "when": self.when, "files": list(self.files),
        }  # fmt: skip


def rejected(root: str) -> list[Rejected]:
    """The uploads taken aside, newest first; a folder without a readable reason is skipped."""
    found = []
    folder = rejected_dir(root)
    try:
        names = os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return []
    for name in names:
        try:
            with open(os.path.join(folder, name, REASON_FILE), "rb") as fh:
                data = json.load(fh)
            found.append(
                Rejected(name, str(data["changes"]), str(data["suite"]), str(data["source"]),
                         str(data["version"]), bool(data["signed"]), str(data["reason"]),
                         float(data["when"]), tuple(str(f) for f in data["files"]))
            )  # fmt: skip
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return sorted(found, key=lambda r: (r.when, r.folder), reverse=True)


def _read(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(1 << 20)  # a .changes is a few KB
