"""Recognise the request heads the hot path may answer (server.hot): pure, bytes in, no IO.

A head is *simple* when nothing in it can change an answer beyond what the key holds: GET or
HEAD, an origin-form target of plain URL characters, HTTP/1.0 or 1.1, CRLF line ends, and only
the fields in FIELDS, each at most once, of printable ASCII. Anything else (Range, a body,
Upgrade, Expect, repeated or folded fields, absolute-form targets, bare LF) is not simple and
goes to aiohttp's parser, from that head on, so pipelined answers keep their order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FIELDS = frozenset(
    {
        "host",
        "user-agent",
        "accept",
        "accept-encoding",
        "accept-language",
        "connection",
        "if-none-match",
        "if-modified-since",
        "referer",
        "cache-control",
        "pragma",
    }
)
"""Fields that either change nothing in an answer or are part of its key (Key)."""
MAX_HEAD = 8190
"""A longer head is left to aiohttp (its own limits and 4xx answers apply)."""
WRITE_LIMIT = 64 * 1024
"""Unsent bytes above which the rest waits for aiohttp (which waits for the client)."""
TARGET = re.compile(r"/[!$&'()*+,\-./0-9:;=?@A-Z_a-z~%]*\Z")
_LINE = re.compile(rb"(GET|HEAD) (/[!$&'()*+,\-./0-9:;=?@A-Z_a-z~%]*) HTTP/1\.([01])\r\n")
_FIELD = re.compile(rb"([!#$%&'*+\-.^_`|~0-9A-Za-z]+):([\x20-\x7e]*)\r\n")
_OWS = " \t"

Key = tuple[str, str, int, bool, str | None, str | None, str | None, str | None]
"""(method, target, minor version, keep-alive, If-None-Match, If-Modified-Since, Accept,
Accept-Encoding): what an answer to a simple head may depend on."""


@dataclass(frozen=True, slots=True)
class Head:
    key: Key
    referer: str
    agent: str
    end: int
    """Offset just past the head's empty line."""


INCOMPLETE = "incomplete"
"""No whole head yet, and what there is may still become a simple one."""
OTHER = "other"
"""Not a simple head: aiohttp answers it."""


def keep_alive(minor: int, connection: str | None) -> bool | None:
    """HTTP/1.1 keeps the connection unless told `close`, 1.0 only when told `keep-alive`;
    None for any other Connection value (not simple)."""
    if connection is None:
        return minor == 1
    value = connection.lower()
    if value == "close":
        return False
    if value == "keep-alive":
        return True
    return None


def key_of(method: str, target: str, minor: int, fields: dict[str, str]) -> Key | None:
    """The key of a simple head's fields (lower-case names), or None when they are not simple."""
    if not fields.keys() <= FIELDS:
        return None
    alive = keep_alive(minor, fields.get("connection"))
    if alive is None:
        return None
    get = fields.get
    return (
        method, target, minor, alive,
        get("if-none-match"), get("if-modified-since"), get("accept"), get("accept-encoding"),
    )  # fmt: skip


def scan(buf: bytes, pos: int) -> Head | str:
    """The simple head starting at `pos`, else INCOMPLETE or OTHER."""
    end = buf.find(b"\r\n\r\n", pos)
    if end < 0:
        rest = buf[pos : pos + MAX_HEAD]
        if len(buf) - pos >= MAX_HEAD or not _may_start(rest):
            return OTHER
        if rest.count(b"\n") != rest.count(b"\r\n"):
            return OTHER  # a bare LF: never simple, and its head may already be whole
        return INCOMPLETE
    end += 4
    if end - pos > MAX_HEAD:
        return OTHER
    line = _LINE.match(buf, pos)
    if line is None:
        return OTHER
    fields: dict[str, str] = {}
    at = line.end()
    while at < end - 2:
        field = _FIELD.match(buf, at, end)
        if field is None:
            return OTHER
        name = field.group(1).decode("ascii").lower()
        if name in fields:
            return OTHER
        fields[name] = field.group(2).decode("ascii").strip(_OWS)
        at = field.end()
    method, target = line.group(1).decode("ascii"), line.group(2).decode("ascii")
    key = key_of(method, target, int(line.group(3)), fields)
    if key is None:
        return OTHER
    return Head(key, fields.get("referer", "-"), fields.get("user-agent", "-"), end)


def _may_start(partial: bytes) -> bool:
    """Whether a partial head can still turn out simple (its method so far GET or HEAD)."""
    first = partial[:5]
    return b"GET ".startswith(first[:4]) or b"HEAD ".startswith(first)


def clean_end(fed: bytes) -> bool:
    """Whether aiohttp's parser, fed `fed` at a request boundary, is left at one too: whole
    heads of bodiless GET or HEAD requests (so the hot path may take over once it is idle)."""
    if not fed.endswith(b"\r\n\r\n"):
        return False
    for head in fed[:-4].split(b"\r\n\r\n"):
        lower = head.lower()
        if not lower.startswith((b"get ", b"head ")):
            return False
        if b"content-length" in lower or b"transfer-encoding" in lower or b"upgrade" in lower:
            return False
    return True
