"""Uploads in a repository's incoming/, decided without touching the disk: which `.changes`
are complete (every file it lists there, sizes and SHA256 matching), which wait for files
still arriving, which waited too long; what reprepro's answer means; which files an upload
leaves behind (accepted) or takes aside (rejected).

reprepro's `processincoming` rejects an incomplete upload, so one is handed over only once
complete; dput copies the `.changes` and its files one by one, in no promised order.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from debian.deb822 import Changes

CHANGES_SUFFIX = ".changes"
REJECTED_DIR = "rejected"
"""Under incoming/: one directory per rejected upload, its files and `reason.json`."""
STALE_SECONDS = 3600.0
"""An upload still incomplete an hour after its newest file arrived is taken aside."""
SIGNED = b"-----BEGIN PGP SIGNED MESSAGE-----"


class BadChanges(ValueError):
    """Not a .changes file reprepro could use (or one still being written)."""


@dataclass(frozen=True)
class Listed:
    """A file a .changes lists (its Checksums-Sha256 line)."""

    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Upload:
    changes: str  # the .changes file's name in incoming/
    suite: str  # its Distribution (the first one)
    source: str
    version: str
    files: tuple[Listed, ...]
    signed: bool

    def names(self) -> tuple[str, ...]:
        return (self.changes, *(f.name for f in self.files))


@dataclass(frozen=True)
class Seen:
    """A file in incoming/ as the edge found it; `sha256` only when its size matched."""

    size: int
    mtime: float
    sha256: str | None = None


class State(enum.StrEnum):
    READY = "ready"  # complete: hand it to reprepro
    WAITING = "waiting"  # files missing or still being written
    STALE = "stale"  # waited longer than STALE_SECONDS: taken aside


@dataclass(frozen=True)
class Decision:
    state: State
    missing: tuple[str, ...] = ()  # listed files absent or not (yet) matching

    def reason(self) -> str:
        return f"incomplete for over {STALE_SECONDS / 3600:g} h: missing " + ", ".join(self.missing)


def parse_changes(name: str, data: bytes) -> Upload:
    """The upload a .changes describes; BadChanges when it is not one (yet)."""
    try:
        fields = Changes(data)
        listed = tuple(
            Listed(str(f["name"]), int(f["size"]), str(f["sha256"]).lower())
            for f in fields["Checksums-Sha256"]
        )
        suite = str(fields["Distribution"]).split()[0]
        upload = Upload(name, suite, str(fields["Source"]), str(fields["Version"]), listed,
                        data.lstrip().startswith(SIGNED))  # fmt: skip
    except (KeyError, ValueError, IndexError, TypeError, UnicodeDecodeError) as exc:
        raise BadChanges(f"{name}: not a complete .changes ({exc!r})") from None
    if not listed or any("/" in f.name or f.name.startswith(".") for f in listed):
        raise BadChanges(f"{name}: lists no files, or a file outside incoming/")
    return upload


def to_hash(upload: Upload, seen: Mapping[str, Seen]) -> list[str]:
    """The listed files worth hashing: there, with the size the .changes says."""
    return [f.name for f in upload.files if f.name in seen and seen[f.name].size == f.size]


def decide(upload: Upload, seen: Mapping[str, Seen], now: float) -> Decision:
    """Complete, waiting, or stale (by the newest mtime among its files that are there)."""
    missing = tuple(
        f.name for f in upload.files if f.name not in seen or seen[f.name].sha256 != f.sha256
    )
    if not missing:
        return Decision(State.READY)
    newest = max((seen[n].mtime for n in upload.names() if n in seen), default=now)
    state = State.STALE if now - newest > STALE_SECONDS else State.WAITING
    return Decision(state, missing)


def unreadable_is_stale(seen: Seen, now: float) -> bool:
    """A .changes that does not parse may be half-copied: stale only once old."""
    return now - seen.mtime > STALE_SECONDS


def changes_names(seen: Mapping[str, Seen]) -> list[str]:
    """The .changes files in incoming/, oldest first (uploads are processed in arrival order)."""
    found = [n for n in seen if n.endswith(CHANGES_SUFFIX) and not n.startswith(".")]
    return sorted(found, key=lambda n: (seen[n].mtime, n))


@dataclass(frozen=True)
class Answer:
    accepted: bool
    reason: str  # reprepro's words when rejected


def answer(returncode: int, output: str) -> Answer:
    """What `reprepro processincoming RULE CHANGES` said. Exit 0 is accepted, except when
    every package was skipped (that version is there already): reprepro then deletes the
    upload's files and calls it done, but nothing came in."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    words = [ln for ln in lines if ln not in ("There have been errors!", "Exporting indices...")]
    skipped = [ln for ln in words if "because all packages are skipped" in ln]
    if returncode == 0 and not skipped:
        return Answer(True, "")
    reason = "; ".join(skipped or words) or f"reprepro exited {returncode}"
    if skipped:
        reason += " (that version is in the suite already)"
    return Answer(False, reason)


def leftovers(upload: Upload, present: Iterable[str], others: Iterable[Upload]) -> list[str]:
    """The upload's files still in incoming/ (after reprepro took what it wanted, or to take
    aside), less those another upload waiting there lists too (a shared orig tarball)."""
    shared = {name for other in others if other.changes != upload.changes
              for name in other.names()}  # fmt: skip
    there = set(present)
    return [n for n in upload.names() if n in there and n not in shared]


def aside_name(changes: str, when: float, taken: Iterable[str]) -> str:
    """The directory under incoming/rejected/ for one rejected upload: sorts by time."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(when))
    stem = changes.removesuffix(CHANGES_SUFFIX)
    name, used, n = f"{stamp}-{stem}", set(taken), 1
    while name in used:
        n += 1
        name = f"{stamp}-{stem}.{n}"
    return name
