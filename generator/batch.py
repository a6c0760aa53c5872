"""When to act on what the watcher heard: once the tree is quiet, or after max_wait at most.

reprepro and rsync write in bursts, and an upload writes for minutes: acting on every event
would rebuild a page thousands of times. A batch collects changed paths and is due `quiet`
seconds after the last one, or `max_wait` seconds after the first, whichever comes first,
so a never-ending rsync still produces an update every `max_wait`. Pure: the clock is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Batch:
    quiet: float
    max_wait: float
    first: float | None = None
    last: float | None = None
    paths: dict[str, tuple[bool, bool]] = field(default_factory=dict)
    """Absolute path → (is a directory, created/deleted/moved at least once)."""

    def add(self, path: str, is_dir: bool, structural: bool, now: float) -> None:
        was_dir, was_structural = self.paths.get(path, (is_dir, False))
        self.paths[path] = (is_dir or was_dir, structural or was_structural)
        if self.first is None:
            self.first = now
        self.last = now

    def due(self) -> float | None:
        """When to build (monotonic seconds); None while nothing is pending."""
        if self.first is None or self.last is None:
            return None
        return min(self.last + self.quiet, self.first + self.max_wait)

    def take(self) -> dict[str, tuple[bool, bool]]:
        """The pending paths; the batch starts over empty."""
        paths, self.paths = self.paths, {}
        self.first = self.last = None
        return paths
