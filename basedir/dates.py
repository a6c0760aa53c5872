"""The `Date` of every complete, signed snapshot: what timestamp URLs floor to, once every
codename has its serial (rewrite_rules.timetravel takes the latest Date of a taken serial).

Read from each snapshot's InRelease (else Release) with python-debian, only when its Release
family is complete and signed (and verifies against the mount's keyring, when it has one):
an InRelease being written, or one that fails gpgv, is never a timestamp's answer. Remembered
by the stats of the Release family and the keyring, so the server re-reading an archive once
a second costs a few stats per snapshot, not a parse.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from snapfront.base.stamps import Stamp, stamp, stamps
from snapfront.basedir.release import is_complete, read_distribution, snapshot_dir
from snapfront.basedir.taken import taken_at
from snapfront.rewrite_rules import MountKind
from snapfront.rewrite_rules.names import RELEASE_NAMES

_MEMO_LIMIT = 100_000


_memo: dict[tuple[str, str | None, tuple[Stamp, ...]], int | None] = {}


def snapshot_dates(
    root: str, serials: Mapping[str, frozenset[str]], keyring: str | None
) -> dict[tuple[str, str], int]:
    """(codename, serial) → Date in epoch seconds, for the complete signed snapshots only."""
    found: dict[tuple[str, str], int] = {}
    for codename, names in serials.items():
        for serial in names:
            date = snapshot_date(root, codename, serial, keyring)
            if date is not None:
                found[(codename, serial)] = date
    return found


def snapshot_date(root: str, codename: str, serial: str, keyring: str | None) -> int | None:
    directory = snapshot_dir(root, codename, serial)
    stats = stamps(directory, RELEASE_NAMES)
    key = (directory, keyring, (*stats, stamp(keyring) if keyring else None))
    if key not in _memo:
        if len(_memo) >= _MEMO_LIMIT:
            _memo.clear()
        _memo[key] = _read(root, directory, keyring)
    return _memo[key]


def _read(root: str, directory: str, keyring: str | None) -> int | None:
    if not is_complete(directory, keyring):
        return None
    dist = read_distribution(directory, root, MountKind.SNAPSHOTS)
    if dist is None or not dist.signed or dist.date is None:
        return None
    # A bump re-dates an old snapshot to now: it still floors at the day its serial names.
    return taken_at(os.path.basename(directory), dist.date, None)
