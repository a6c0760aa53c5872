"""From request headers and a file's validators to the status and byte ranges to send.

Pure: the sending code opens and stats the file, this decides what the answer is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .conditional import Outcome, evaluate, if_range_allows_partial
from .ranges import ByteRange, Unsatisfiable, parse_range


@dataclass(frozen=True)
class Decision:
    status: int
    ranges: tuple[ByteRange, ...] = ()


def decide(
    headers: Mapping[str, str], *, method: str, etag: str, last_modified: int | None, size: int
) -> Decision:
    outcome = evaluate(headers, method=method, etag=etag, last_modified=last_modified)
    if outcome is Outcome.NOT_MODIFIED:
        return Decision(304)
    if outcome is Outcome.PRECONDITION_FAILED:
        return Decision(412)
    if not if_range_allows_partial(headers.get("If-Range"), etag=etag, last_modified=last_modified):
        return Decision(200)  # RFC 9110 §13.1.5: a stale validator gets the whole file
    ranges = parse_range(headers.get("Range"), size)
    if ranges is None:
        return Decision(200)
    if isinstance(ranges, Unsatisfiable):
        return Decision(416)
    return Decision(206, tuple(ranges))
