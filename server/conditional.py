"""Preconditions (RFC 9110 §13) decided from headers alone, so they are testable without a server.

The caller supplies the validators of the bytes it will send: a strong ETag and the
modification time in whole seconds (the precision of HTTP dates).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping

from .httpdate import parse_http_date

_SAFE_METHODS = frozenset({"GET", "HEAD"})
# entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE; etagc excludes DQUOTE, controls and space (§8.8.3).
_ETAG = re.compile(r'(W/)?("[^"\x00-\x20\x7f]*")')
_OWS = " \t"


class Outcome(enum.Enum):
    """What the preconditions leave the server to send: the response, a 304, or a 412."""

    OK = "ok"
    NOT_MODIFIED = "not-modified"
    PRECONDITION_FAILED = "precondition-failed"


class _Any:
    """The `*` member: matches any current representation."""


_ANY = _Any()
_Tag = tuple[bool, str]  # (weak, opaque-tag with its quotes)


def _parse_entity_tags(value: str) -> list[_Tag] | _Any:
    """`*` or the well-formed tags of a list; malformed members are skipped, not guessed at.

    Commas are legal inside a quoted tag (`"a,b"`), so the list is scanned, not split.
    """
    if value.strip(_OWS) == "*":
        return _ANY
    tags: list[_Tag] = []
    pos, end = 0, len(value)
    while pos < end:
        if value[pos] in _OWS + ",":
            pos += 1
            continue
        match = _ETAG.match(value, pos)
        after = match.end() if match else pos
        while after < end and value[after] in _OWS:
            after += 1
        if match and (after == end or value[after] == ","):
            tags.append((match.group(1) is not None, match.group(2)))
            pos = after
        else:  # garbage up to the next comma (outside quotes) is one bad member
            pos = value.find(",", after if match else pos)
            pos = end if pos < 0 else pos
    return tags


def _own_tag(etag: str) -> _Tag:
    parsed = _parse_entity_tags(etag)
    if isinstance(parsed, _Any) or len(parsed) != 1:
        raise ValueError(f"not a single entity-tag: {etag!r}")
    return parsed[0]


def _strong_match(tags: list[_Tag] | _Any, own: _Tag) -> bool:
    """§8.8.3.2: both strong and identical."""
    if isinstance(tags, _Any):
        return True
    return not own[0] and any(not weak and opaque == own[1] for weak, opaque in tags)


def _weak_match(tags: list[_Tag] | _Any, own: _Tag) -> bool:
    """§8.8.3.2: opaque tags identical, either or both may be weak."""
    if isinstance(tags, _Any):
        return True
    return any(opaque == own[1] for _, opaque in tags)


def _list_field(headers: Mapping[str, str], name: str) -> str | None:
    """Repeated list fields are one comma-joined list (§5.3); multidicts hold each line."""
    getall = getattr(headers, "getall", None)
    if getall is not None:
        values = getall(name, [])
        return ", ".join(values) if values else None
    return headers.get(name)


def evaluate(
    headers: Mapping[str, str], *, method: str, etag: str, last_modified: int | None
) -> Outcome:
    """Apply the preconditions in the order of §13.2.2 (If-Range is separate: see below).
    `last_modified` None: the representation has no date, so the date preconditions are
    ignored (§13.1.3, §13.1.4: "if the resource does not have a modification date")."""
    own = _own_tag(etag)
    if_match = _list_field(headers, "If-Match")
    if if_match is not None:
        # §13.2.2 step 1, §13.1.1: strong comparison.
        if not _strong_match(_parse_entity_tags(if_match), own):
            return Outcome.PRECONDITION_FAILED
    else:
        # Step 2, §13.1.4: an invalid date is ignored.
        since = parse_http_date(headers.get("If-Unmodified-Since"))
        if since is not None and last_modified is not None and last_modified > since:
            return Outcome.PRECONDITION_FAILED
    if_none_match = _list_field(headers, "If-None-Match")
    if if_none_match is not None:
        # Step 3, §13.1.2: weak comparison; If-Modified-Since is then not evaluated.
        if _weak_match(_parse_entity_tags(if_none_match), own):
            if method in _SAFE_METHODS:
                return Outcome.NOT_MODIFIED
            return Outcome.PRECONDITION_FAILED
        return Outcome.OK
    if method in _SAFE_METHODS:
        # Step 4, §13.1.3: an invalid date is ignored.
        since = parse_http_date(headers.get("If-Modified-Since"))
        if since is not None and last_modified is not None and last_modified <= since:
            return Outcome.NOT_MODIFIED
    return Outcome.OK


def if_range_allows_partial(value: str | None, *, etag: str, last_modified: int | None) -> bool:
    """§13.1.5: may a Range be honoured? False means send the whole current file (200).

    APT resumes with `If-Range: <old Last-Modified>`, so the date must match to the second.
    """
    if value is None:
        return True
    value = value.strip(_OWS)
    if value.startswith(('"', "W/")):
        tags = _parse_entity_tags(value)
        if isinstance(tags, _Any) or len(tags) != 1:
            return False
        return _strong_match(tags, _own_tag(etag))  # a weak tag never matches
    return last_modified is not None and parse_http_date(value) == last_modified
