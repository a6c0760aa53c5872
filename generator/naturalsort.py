"""Natural version order for names: 1.9 < 1.10 < 1.41, like Apache's VersionSort."""

from __future__ import annotations

import re

_RUNS = re.compile(r"(\d+)")


def version_key(name: str) -> tuple[tuple[int, int, str], ...]:
    """Digit runs compare as numbers, everything else as text (case-insensitively first)."""
    key = []
    for index, run in enumerate(_RUNS.split(name)):
        if index % 2:
            key.append((1, int(run), run))
        elif run:
            key.append((0, 0, run.casefold()))
    return tuple(key)


def newest_first(names: list[str]) -> list[str]:
    return sorted(names, key=version_key, reverse=True)
