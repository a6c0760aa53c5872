"""Turn the path of a request line into safe segments, or say why not.

Decoding happens exactly once, here. Anything that could name a file outside a root, or a
file that is not meant to be public, is refused before any rule looks at it. A run of "/"
(`//debian/…`, a base URL's trailing slash plus a path's leading one) names what one "/"
names: the segments skip it, and `merge_slashes` gives the one URL that caches key on.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from .model import Miss, MissReason

RESERVED_PREFIX = "/-/"
"""snapfront's own URL space (/-/healthy, /-/ready, /-/status.json, /-/metrics, /-/static/):
answered before any mount; no mount may sit at or below it (docs/urls.md: the reserved space)."""
RESERVED_SEGMENT = "-"

MAX_PATH_BYTES = 4096
"""Longer request paths get 414; real APT and archive paths stay far below this."""

_ENCODED_SEPARATOR = re.compile(r"%(2f|5c)", re.IGNORECASE)
_BAD_PERCENT = re.compile(r"%(?![0-9a-fA-F]{2})")
_ABSOLUTE_FORM = re.compile(r"https?://[^/?#]*", re.IGNORECASE)
_SLASHES = re.compile(r"//+")


def origin_form(raw: str) -> str:
    """The path of an absolute-form target (`http://host/x` -> `/x`), which RFC 9112 §3.2.2
    says a server must accept (proxies send it); any other target is returned unchanged."""
    match = _ABSOLUTE_FORM.match(raw)
    return raw if match is None else raw[match.end() :] or "/"


def split_path(raw: str) -> tuple[tuple[str, ...], bool] | Miss:
    """Decode `raw` (the target as sent, without query) into segments and a trailing-slash flag."""
    raw = origin_form(raw)
    if len(raw) > MAX_PATH_BYTES:
        return Miss(MissReason.TOO_LONG, f"request path longer than {MAX_PATH_BYTES} bytes")
    if not raw.startswith("/"):
        return Miss(MissReason.BAD_REQUEST, "request path must start with /")
    if _BAD_PERCENT.search(raw):
        return Miss(MissReason.BAD_REQUEST, "malformed percent-encoding")
    if _ENCODED_SEPARATOR.search(raw):
        return Miss(MissReason.NOT_FOUND, "encoded path separator")
    try:
        path = unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return Miss(MissReason.BAD_REQUEST, "request path is not UTF-8")
    if "\x00" in path or any(ord(c) < 0x20 or c == "\x7f" for c in path):
        return Miss(MissReason.BAD_REQUEST, "control character in request path")
    if "\\" in path:
        return Miss(MissReason.NOT_FOUND, "backslash in request path")
    trailing = path.endswith("/")
    segments = tuple(seg for seg in path.split("/") if seg)  # a run of "/" is one "/"
    if not segments:
        return (), True
    for seg in segments:
        if seg.startswith("."):
            # "." and "..", and hidden names: rsync temp files, .git, editors' droppings.
            return Miss(MissReason.NOT_FOUND, "dot segment or hidden name")
    return segments, trailing


def merge_slashes(raw: str) -> str | None:
    """The target's path with each run of "/" made one, when it has a run; else None.

    As sent (percent-encoding untouched, no query): the Location of the 301 that gives every
    spelling one cache key, so a PURGE of `/debian/project/trace/debian` reaches what a cache
    holds for `//debian/project/trace/debian` (a redirect to it). It starts with exactly one
    "/", never `//host`, which a client would read as another host."""
    path = origin_form(raw)
    if "//" not in path:
        return None
    return _SLASHES.sub("/", path)
