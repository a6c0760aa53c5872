"""Ask a snapfront (or any host with the same URL layout) about an origin's serials.

`URL/ORIGIN/project/trace/ORIGIN` names the newest complete, signed serial (its `Archive
serial:` line); `URL/ORIGIN/SERIAL/` (then `SERIAL/pool/`) answers 200 or a redirect when the
serial exists, and a 404 listing the serials that do when it does not (snapfront looks on disk
before answering, so a serial taken a moment ago is found). Every failure is one line: Failed when
the server cannot be asked or answers nonsense, Refused when it says a serial does not exist.
"""

from __future__ import annotations

import http.client
import re
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from snapfront import __version__

from .errors import Failed, Refused
from .files import is_serial

TIMEOUT = 30.0
"""Seconds for connecting and for each read."""
MAX_BODY = 1 << 20
_UNKNOWN = re.compile(r"snapshot (\S+) does not exist[^;\n]*; snapshots that do:\n(.*)", re.S)


def check_base(url: str) -> str:
    """The --from URL without its trailing slash; refused unless http(s) with a host."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(f"--from: not an http:// or https:// URL: {url}")
    if parts.query or parts.fragment:
        raise Refused(f"--from: a base URL has no query or fragment: {url}")
    return url.rstrip("/")


def trace_url(base: str, origin: str) -> str:
    name = quote(origin, safe="")
    return f"{base}/{name}/project/trace/{name}"


def serial_url(base: str, origin: str, serial: str) -> str:
    return f"{base}/{quote(origin, safe='')}/{serial}/"


def archive_serial(text: str, url: str) -> str:
    """The serial of a trace file's `Archive serial:` line."""
    for line in text.splitlines():
        if line.startswith("Archive serial:"):
            value = line.partition(":")[2].strip()
            if not is_serial(value):
                raise Failed(f"{url}: 'Archive serial: {value[:40]}' is not a serial")
            return value
    raise Failed(f"{url}: no 'Archive serial:' line (is this a trace file?)")


def listed_serials(body: str) -> list[str] | None:
    """The serials a 404 for an unknown serial lists; None when the body is not such a 404."""
    match = _UNKNOWN.search(body)
    if match is None:
        return None
    return [line.strip() for line in match.group(2).splitlines() if is_serial(line.strip())]


@dataclass(frozen=True)
class _Answer:
    status: int
    reason: str
    body: str


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a redirect is an answer here (the serial exists), not a hop


class Remote:
    """One snapshot host, at `base` (`http://HOST` or `http://HOST/prefix`)."""

    def __init__(self, base: str, timeout: float = TIMEOUT) -> None:
        self.base = check_base(base)
        self.timeout = timeout

    def newest(self, origin: str) -> str:
        """The serial the origin's trace names now."""
        url = trace_url(self.base, origin)
        answer = self._get(url, follow=True)
        if answer.status == 404:
            raise Failed(f"{url}: 404 Not Found (no trace: is {origin} an archive there?)")
        if answer.status != 200:
            raise Failed(f"{url}: {answer.status} {answer.reason}")
        return archive_serial(answer.body, url)

    def check(self, origin: str, serial: str) -> None:
        """Return when SERIAL exists for ORIGIN; refuse it, with the list, when it does not.

        `SERIAL/` first (any host); a plain 404 there may only mean that snapfront has not
        rendered the serial's page yet (a moment after gensnapshot, or `serve --no-watch`),
        so `SERIAL/pool/` is asked next: snapfront redirects it for every serial on disk."""
        url = serial_url(self.base, origin, serial)
        for probe in (url, url + "pool/"):
            answer = self._get(probe, follow=False)
            if answer.status == 200 or 300 <= answer.status < 400:
                return
            if answer.status != 404:
                raise Failed(f"{probe}: {answer.status} {answer.reason}")
            known = listed_serials(answer.body)
            if known is not None:
                listing = ", ".join(known) if known else "none"
                where = serial_url(self.base, origin, "")[:-1]
                refusal = f"{origin}: serial {serial} does not exist on {where}"
                raise Refused(f"{refusal}; serials that do: {listing}")
        raise Refused(f"{origin}: serial {serial} not found ({url}: 404 Not Found)")

    def _get(self, url: str, follow: bool) -> _Answer:
        handlers = () if follow else (_NoRedirect(),)
        opener = urllib.request.build_opener(*handlers)
        request = urllib.request.Request(url, headers={"User-Agent": f"snapfront/{__version__}"})
        try:
            try:
                with opener.open(request, timeout=self.timeout) as resp:
                    return _Answer(resp.status, resp.reason, _text(resp.read(MAX_BODY)))
            except urllib.error.HTTPError as exc:  # 4xx, 5xx, and 3xx when not followed
                with exc:
                    return _Answer(exc.code, str(exc.reason), _text(exc.read(MAX_BODY)))
        except urllib.error.URLError as exc:
            raise Failed(f"cannot reach {url}: {_why(exc.reason)}") from exc
        except TimeoutError as exc:
            raise Failed(f"cannot reach {url}: timed out after {self.timeout:g} s") from exc
        except OSError as exc:  # reset mid-body
            raise Failed(f"cannot read {url}: {_why(exc)}") from exc
        except http.client.HTTPException as exc:  # a broken answer (bad status line, …)
            raise Failed(f"cannot read {url}: {type(exc).__name__}: {exc}") from exc


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _why(reason: object) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, TimeoutError):
        return "timed out"
    if isinstance(reason, socket.gaierror):
        return f"unknown host ({reason.strerror})"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror[:1].lower() + reason.strerror[1:]
    return str(reason)
