"""What one build covers, apart from doing it: the host's front page joining the parts,
which outputs a mount owns (another mount may be nested inside it), which finished parts a
stopped build must redo, and what a part stood for that is now gone (pruned)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from urllib.parse import unquote

from snapfront.rewrite_rules import Mount, Rules
from snapfront.rewrite_rules.front import FRONT_URL, generates_front
from snapfront.rewrite_rules.resolve import match_mount

from .pages import Output
from .plan import Part, PartKind, front_part
from .scan import Entry
from .write import Writer

PRUNED = (PartKind.TREE, PartKind.SERIAL, PartKind.LIVE)


def redone(done: list[Part], rest: list[Part]) -> list[Part]:
    """The parts done whose outputs lie under a part left to do: that one prunes, when it is
    done, every file below its URL that its own build did not write (a feed below a tree)."""
    tops = [p.url for p in rest if p.kind in (*PRUNED, PartKind.PAGE)]
    return [p for p in done if any(p.url.startswith(top) for top in tops)]


def forget_removed(listings: dict[str, tuple[Entry, ...]], changed: Iterable[str]) -> None:
    """Drop the listings of directories below a changed path that is gone (an rsync --delete
    of a whole release directory): their entries must not count as the newest data."""
    gone = {os.path.normpath(p) for p in changed if not os.path.lexists(p)}
    if not gone:
        return
    for folder in list(listings):
        above = folder
        while (parent := os.path.dirname(above)) != above:
            if parent in gone:
                del listings[folder]
                break
            above = parent


def with_host(
    rules: Rules, parts: Mapping[str, Iterable[Part]], full: bool
) -> tuple[dict[str, list[Part]], bool]:
    """The parts, plus the page at "/" when its Repositories section must be redone (a full
    build, a newest serial changed: parts.host_part, or a trace is redone: a serial may have
    become complete); and whether it must."""
    found = {url: list(wanted) for url, wanted in parts.items()}
    redo = (PartKind.HOST, PartKind.TRACE)
    host = full or any(p.kind in redo for wanted in found.values() for p in wanted)
    if host and not generates_front(rules):
        root = next(m for m in rules.mounts if m.url == FRONT_URL)
        found.setdefault(root.url, []).append(front_part(root))
    return found, host


def owned(rules: Rules, mount: Mount, output: Output) -> bool:
    return match_mount(rules, _segments(output.url)) is mount


def prune(writer: Writer, rules: Rules, mount: Mount, parts: list[Part], seen: set[str]) -> int:
    """Remove what a part stood for and no longer produces: a removed directory's pages, a
    dropped serial's. Another mount's URLs (nested inside, or owning the prefix) are left alone."""
    prefixes = [p.url for p in parts if p.kind in PRUNED]
    prefixes += [p.url for p in parts if p.kind is PartKind.PAGE and p.url not in seen]
    prefixes = [p for p in prefixes if match_mount(rules, _segments(p)) is mount]
    others = [m.url for m in rules.mounts if m is not mount]
    nested = [u for u in others if any(u.startswith(p) for p in prefixes)]
    return writer.prune(prefixes, nested) if prefixes else 0


def _segments(url: str) -> tuple[str, ...]:
    return tuple(s for s in unquote(url).split("/") if s)
