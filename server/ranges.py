"""Byte ranges (RFC 9110 §14) as plain values: parse a Range header, lay out a multipart body.

Nothing here reads a file; the sender gets offsets and the exact body length up front, so it
can send Content-Length and use sendfile for every range.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

MAX_SPECS = 100  # more than this is abuse, not a download manager: ignore the header
_SPEC = re.compile(r"([0-9]*)-([0-9]*)")  # ASCII digits only; \d would accept other scripts
_BOUNDARY = re.compile(r"[0-9A-Za-z'()+_,./:=?-]{1,70}")  # RFC 2046 bchars, no space
_OWS = " \t"


@dataclass(frozen=True)
class ByteRange:
    """Inclusive offsets, as Content-Range writes them."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ValueError(f"invalid byte range {self.start}-{self.end}")

    @property
    def length(self) -> int:
        return self.end - self.start + 1


@dataclass(frozen=True)
class Unsatisfiable:
    """Every range lies past the end of the file: 416 with `Content-Range: bytes */size`."""


UNSATISFIABLE = Unsatisfiable()


def _spec(text: str, size: int) -> ByteRange | Unsatisfiable | None:
    """One range-spec (§14.1.1): a range, unsatisfiable, or None when malformed."""
    match = _SPEC.fullmatch(text)
    if match is None:
        return None
    first_text, last_text = match.groups()
    try:  # int() refuses absurdly long digit strings (sys.get_int_max_str_digits)
        first = int(first_text) if first_text else None
        last = int(last_text) if last_text else None
    except ValueError:
        return None
    if first is None:
        if last is None:
            return None
        if last == 0 or size == 0:  # suffix-range: the last `last` bytes
            return UNSATISFIABLE
        return ByteRange(max(0, size - last), size - 1)
    if last is not None and last < first:
        return None
    if first >= size:
        return UNSATISFIABLE
    return ByteRange(first, size - 1 if last is None else min(last, size - 1))


def coalesce(ranges: Sequence[ByteRange]) -> list[ByteRange]:
    """Sorted, with overlapping or adjacent ranges merged (allowed by §14.2)."""
    merged: list[ByteRange] = []
    for r in sorted(ranges, key=lambda r: r.start):
        if merged and r.start <= merged[-1].end + 1:
            if r.end > merged[-1].end:
                merged[-1] = ByteRange(merged[-1].start, r.end)
        else:
            merged.append(r)
    return merged


def parse_range(header: str | None, size: int) -> list[ByteRange] | Unsatisfiable | None:
    """The ranges to send, UNSATISFIABLE (416), or None to ignore the header and send 200.

    §14.2 lets a server ignore a Range it does not understand, so anything malformed, in
    another unit, or with more than MAX_SPECS specs means "whole file" rather than an error.
    """
    if header is None:
        return None
    unit, equals, range_set = header.partition("=")
    if not equals or unit.strip(_OWS).lower() != "bytes":  # range units are case-insensitive
        return None
    specs = [s.strip(_OWS) for s in range_set.split(",")]
    specs = [s for s in specs if s]  # empty list elements are legal and ignored (§5.6.1.2)
    if not specs or len(specs) > MAX_SPECS:
        return None
    satisfiable: list[ByteRange] = []
    for text in specs:
        parsed = _spec(text, size)
        if parsed is None:
            return None
        if isinstance(parsed, ByteRange):
            satisfiable.append(parsed)
    if not satisfiable:
        return UNSATISFIABLE
    return coalesce(satisfiable)


def content_range(r: ByteRange, size: int) -> str:
    return f"bytes {r.start}-{r.end}/{size}"


def unsatisfied_range(size: int) -> str:
    return f"bytes */{size}"


@dataclass(frozen=True)
class Part:
    """Header bytes to write, then the range to sendfile; range None closes the body."""

    header: bytes
    range: ByteRange | None


def new_boundary() -> str:
    """Random, so it cannot occur in the file by accident or by design."""
    return secrets.token_hex(12)


def multipart_layout(
    ranges: Sequence[ByteRange], size: int, content_type: str, boundary: str
) -> tuple[list[Part], int]:
    """A multipart/byteranges body (§14.6) as parts to send, and its exact length."""
    if not ranges:
        raise ValueError("a multipart/byteranges body needs at least one range")
    if not _BOUNDARY.fullmatch(boundary):
        raise ValueError(f"invalid multipart boundary {boundary!r}")
    parts: list[Part] = []
    for index, r in enumerate(ranges):
        if r.end >= size:
            raise ValueError(f"range {r.start}-{r.end} lies past the end of {size} bytes")
        lead = "" if index == 0 else "\r\n"
        header = (
            f"{lead}--{boundary}\r\n"
            f"Content-Type: {content_type}\r\n"
            f"Content-Range: {content_range(r, size)}\r\n\r\n"
        )
        parts.append(Part(header.encode("latin-1"), r))
    parts.append(Part(f"\r\n--{boundary}--\r\n".encode("latin-1"), None))
    total = sum(len(p.header) + (p.range.length if p.range else 0) for p in parts)
    return parts, total
