"""What a lifecycle command hands back to the CLI: the lines to print, the files it changed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """`lines` go to stdout as they are; `changed` (absolute paths of files changed or removed
    under the mount's root) go to the purger, so no cache in front keeps an old copy."""

    lines: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
