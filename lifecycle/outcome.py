"""What a lifecycle command did: the lines the CLI prints, and the files it replaced."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    lines: tuple[str, ...]
    changed: tuple[str, ...]
