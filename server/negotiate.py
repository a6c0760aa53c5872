"""Which precompressed variant of a generated page a client may get (RFC 9110 §12.5.3).

Only generated text has variants; data files are never negotiated (APT ignores
Content-Encoding and would store the compressed bytes: a Hash Sum mismatch).
"""

from __future__ import annotations

import functools

VARIANTS = (("br", ".br"), ("gzip", ".gz"))
"""Preference order when the client accepts both equally."""


def q_value(params: str) -> float:
    """The weight in an Accept-style item's parameters (`;q=0.5`): 1 when absent, 0 when
    unreadable (RFC 9110 §12.4.2)."""
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


@functools.lru_cache(maxsize=256)
def acceptable(header: str | None) -> tuple[tuple[str, str], ...]:
    """(coding, file suffix) pairs the Accept-Encoding header allows, best first."""
    if not header:
        return ()
    weights: dict[str, float] = {}
    for item in header.split(","):
        coding, _, params = item.strip().partition(";")
        coding = coding.strip().lower()
        if coding:
            weights[coding] = q_value(params)
    star = weights.get("*", 0.0)
    ranked = [
        (weights.get(coding, star), -index, coding, suffix)
        for index, (coding, suffix) in enumerate(VARIANTS)
        if weights.get(coding, star) > 0
    ]
    return tuple((coding, suffix) for _, _, coding, suffix in sorted(ranked, reverse=True))
