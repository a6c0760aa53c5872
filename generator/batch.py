"""When to act on what the watcher heard: once the tree is quiet, or after max_wait at most.

reprepro and rsync write in bursts, and an upload writes for minutes: acting on every event
would rebuild a page thousands of times. A batch collects changed paths and is due `quiet`
seconds after the last one, or `max_wait` seconds after the first, whichever comes first,
so a never-ending rsync still produces an update every `max_wait`. Pure: the clock is passed in.

A batch that changes a trace (a snapshot's Release family written, a serial come or gone) is
*urgent*: once due it may stop a long build in progress (the pool pages of the previous
serial), whose parts not yet produced wait in `left` and are built right after it. Build
tools poll the trace; the pool pages can wait a second more.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from snapfront.rewrite_rules import Mount
from snapfront.rewrite_rules.confine import relative as segments_below

from .plan import Change, Part, PartKind, affected


@dataclass
class Batch:
    quiet: float
    max_wait: float
    first: float | None = None
    last: float | None = None
    paths: dict[str, tuple[bool, bool]] = field(default_factory=dict)
    """Absolute path → (is a directory, created/deleted/moved at least once)."""
    urgent: bool = False
    """Some path of it changes a trace (see `touches_trace`)."""
    left: dict[str, set[Part]] = field(default_factory=dict)
    """Mount URL → parts an earlier build stopped before producing."""

    def add(
        self, path: str, is_dir: bool, structural: bool, now: float, urgent: bool = False
    ) -> None:
        was_dir, was_structural = self.paths.get(path, (is_dir, False))
        self.paths[path] = (is_dir or was_dir, structural or was_structural)
        self.urgent = self.urgent or urgent
        if self.first is None:
            self.first = now
        self.last = now

    def due(self) -> float | None:
        """When to build (monotonic seconds); None while nothing is pending."""
        if self.first is None or self.last is None:
            return None
        return min(self.last + self.quiet, self.first + self.max_wait)

    def pressing(self, now: float) -> bool:
        """Due and urgent: a build under way should stop and let it through."""
        due = self.due()
        return self.urgent and due is not None and now >= due

    def take(self) -> dict[str, tuple[bool, bool]]:
        """The pending paths; the batch starts over empty."""
        paths, self.paths = self.paths, {}
        self.first = self.last = None
        self.urgent = False
        return paths

    def defer(self, parts: Iterable[tuple[str, Part]]) -> None:
        for url, part in parts:
            self.left.setdefault(url, set()).add(part)

    def take_left(self) -> dict[str, set[Part]]:
        left, self.left = self.left, {}
        return left


def relative(mount: Mount, path: str) -> str | None:
    """`path` relative to the mount's root, "/"-separated ("" for the root); None outside."""
    rel = segments_below(path, mount.root)
    return None if rel is None else "/".join(rel)


def touches_trace(
    mounts: Sequence[Mount],
    codenames: Mapping[str, Sequence[str]],
    path: str,
    is_dir: bool,
    structural: bool,
) -> bool:
    """Whether a change at `path` may change some mount's trace (`codenames`: mount URL → the
    codenames last read)."""
    for mount in mounts:
        rel = relative(mount, path)
        if rel is None:
            continue
        found = affected(mount, codenames.get(mount.url, ()), Change(rel, is_dir, structural))
        if any(p.kind is PartKind.TRACE for p in found):
            return True
    return False
