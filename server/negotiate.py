"""Which precompressed variant of a generated page a client may get (RFC 9110 §12.5.3).

Only generated text has variants; data files are never negotiated (APT ignores
Content-Encoding and would store the compressed bytes: a Hash Sum mismatch).
"""

from __future__ import annotations

import functools

VARIANTS = (("br", ".br"), ("gzip", ".gz"))
"""Preference order when the client accepts both equally."""


@functools.lru_cache(maxsize=256)
def acceptable(header: str | None) -> tuple[tuple[str, str], ...]:
    """(coding, file suffix) pairs the Accept-Encoding header allows, best first."""
    if not header:
        return ()
    weights: dict[str, float] = {}
    for item in header.split(","):
        coding, _, params = item.strip().partition(";")
        coding = coding.strip().lower()
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if coding:
            weights[coding] = q
    star = weights.get("*", 0.0)
    ranked = [
        (weights.get(coding, star), -index, coding, suffix)
        for index, (coding, suffix) in enumerate(VARIANTS)
        if weights.get(coding, star) > 0
    ]
    return tuple((coding, suffix) for _, _, coding, suffix in sorted(ranked, reverse=True))
