"""Checks of single config values that need no table around them: a listen address (it must
resolve), a path (not too long), text fit for a URL or a Host header."""

from __future__ import annotations

import difflib
import os
import re
import socket
from collections.abc import Iterable

UNSAFE = re.compile(r"[\x00-\x20\x7f]")
"""Whitespace and control characters: never part of a URL or Host header snapfront sends."""
PATH_MAX = 4096
_LISTEN = re.compile(r"(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[^:\[\]]+)):(?P<port>\d{1,5})\Z")


def parse_listen(text: str) -> tuple[str, int]:
    """HOST:PORT ([::1]:8080 for IPv6) → (host, port); the host must resolve. ValueError says
    what is wrong, so `check-config` catches a typo before anything is built or bound."""
    match = _LISTEN.match(text)
    if not match or int(match["port"]) > 65535:
        raise ValueError(f"must be HOST:PORT, got {text!r}")
    host, port = match["v6"] or match["host"], int(match["port"])
    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ValueError(f"cannot resolve host {host!r}: {reason}") from None
    return host, port


def unknown_key(name: str, allowed: Iterable[str]) -> str:
    """The problem for a key the table does not have, naming the nearest known one (a typo
    like `lisen` is the likely cause; difflib's default 0.6 similarity keeps guesses sane)."""
    near = difflib.get_close_matches(name, sorted(allowed), n=1)
    return f"unknown key (did you mean {near[0]}?)" if near else "unknown key"


def nearest_existing(path: str) -> str:
    while not os.path.lexists(path):
        path = os.path.dirname(path)
    return path


def within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")
