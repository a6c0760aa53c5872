"""Which snapshot serials count as taken: a pure decision over per-codename facts, no I/O.

Tails' cron does not take a serial in one step: it runs `reprepro gensnapshot CODENAME SERIAL`
for one codename after another. Until the last one has run, the serial exists for some
codenames only, and a build that picked it then would get 404 for the others. So a serial
counts as taken (the trace's `Archive serial:`, the "newest" mark, the timestamp floor, gc's
and health's newest) only once every codename that has a snapshot at or before it has that
serial, signed and complete.

"At or before" rather than "any": a codename added to conf/distributions later (its first
snapshot is newer) does not make every older serial incomplete, and during its first take it
blocks nothing, like one with no snapshot at all. The codenames are those of
conf/distributions (snapfront.basedir.inventory), so one removed from it blocks nothing either, even
while its snapshot directories are still on disk. A serial that some such codename lacks for
good (a take abandoned half way, a hole gc left for one codename) is never taken.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping

Complete = Callable[[str, str], bool]
"""(codename, serial) → its snapshot has a signed, verified Release family."""


def complete_serials(serials: Mapping[str, Collection[str]], complete: Complete) -> Iterator[str]:
    """The serials that count as taken, newest first.

    `serials`: codename → the serials it has a snapshot directory for. Lazy: the newest taken
    serial asks `complete` only about the serials above it, so the trace costs a few stats."""
    firsts = {codename: min(found) for codename, found in serials.items() if found}
    every = set().union(*serials.values()) if serials else set()
    for serial in sorted(every, reverse=True):
        needed = sorted(c for c, first in firsts.items() if first <= serial)
        if all(serial in serials[c] for c in needed) and all(complete(c, serial) for c in needed):
            yield serial
