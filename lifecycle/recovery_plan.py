"""What to do with an interrupted operation, given its intent record and what is on disk: pure
decisions, no I/O (lifecycle.recover gathers the states and acts).

Whichever leaves the archive consistent: a `take` is rolled back (its serial was never listed
nor served: basedir.inventory leaves out a serial a take is creating); a `bump` or `resign`
is finished when every new file was written (the renames had started, or could have), else its
new files are removed (nothing had been replaced); a `gc` is finished (the snapshots it chose
had expired, and some may be half gone); a `drop-codename` is finished (its steps cannot be
undone), unless the codename is back in conf/distributions.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass


class FileState(enum.Enum):
    """One planned replacement of a bump or resign."""

    READY = "ready"  # its temp file holds the new bytes
    PARTIAL = "partial"  # its temp file exists with other bytes: killed while writing it
    IN_PLACE = "in place"  # no temp; the target holds the new bytes: renamed already
    NOT_WRITTEN = "not written"  # no temp, the target as it was


@dataclass(frozen=True)
class Replace:
    finish: bool
    rename: tuple[int, ...] = ()  # entries whose temp goes over its target, in order
    remove: tuple[int, ...] = ()  # entries whose temp is deleted
    mixed: bool = False  # rolled back with some targets already replaced: re-sign those


def decide_replace(states: Sequence[FileState]) -> Replace:
    """Finish when each file is either ready or in place; else no rename can have happened
    (renames start once every temp is written) and the temps go."""
    if all(s in (FileState.READY, FileState.IN_PLACE) for s in states):
        return Replace(True, rename=tuple(i for i, s in enumerate(states) if s is FileState.READY))
    temps = (FileState.READY, FileState.PARTIAL)
    return Replace(
        False,
        remove=tuple(i for i, s in enumerate(states) if s in temps),
        mixed=any(s is FileState.IN_PLACE for s in states),
    )


class DirState(enum.Enum):
    """One snapshot a gc chose, as found."""

    IN_PLACE = "in place"  # its directory is where it was
    ASIDE = "aside"  # renamed to its trash name: unreferencing, or removing, was under way
    GONE = "gone"  # neither: removed (after its references)


@dataclass(frozen=True)
class GcStep:
    move_aside: bool
    unreference: bool
    remove_aside: bool


def decide_gc(state: DirState) -> GcStep:
    """gc's own order, from where it stopped: aside, unreference, remove. A directory gone
    was unreferenced before it went; one aside may or may not have been."""
    if state is DirState.GONE:
        return GcStep(False, False, False)
    return GcStep(state is DirState.IN_PLACE, True, True)


class Drop(enum.Enum):
    FINISH = "finish"
    ABANDON = "abandon"  # the codename is configured again: dropping it would undo that


def decide_drop(codename: str, configured: Sequence[str]) -> Drop:
    return Drop.ABANDON if codename in configured else Drop.FINISH
