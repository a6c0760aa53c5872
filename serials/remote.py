"""Ask a snapshot host with Tails' URL layout (a snapfront, or nginx serving the reprepro tree
as files) about an origin's serials.

`URL/ORIGIN/project/trace/ORIGIN` names the newest complete, signed serial (its `Archive
serial:` line); a frozen serial exists when its Release answers (serials.confirm: which
codename, what a 404 says). Every failure is one line: Failed when the host cannot be asked or
answers nonsense, Refused when a serial or codename does not exist there.
"""

from __future__ import annotations

import http.client
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from snapfront import __version__
from snapfront.base.errors import Failed, Refused

from . import confirm
from .confirm import Kind
from .files import is_serial

TIMEOUT = 30.0
"""Seconds for connecting and for each read."""
MAX_BODY = 1 << 20


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


def archive_serial(text: str, url: str) -> str:
    """The serial of a trace file's `Archive serial:` line."""
    for line in text.splitlines():
        if line.startswith("Archive serial:"):
            value = line.partition(":")[2].strip()
            if not is_serial(value):
                raise Failed(f"{url}: 'Archive serial: {value[:40]}' is not a serial")
            return value
    raise Failed(f"{url}: no 'Archive serial:' line (is this a trace file?)")


@dataclass(frozen=True)
class _Answer:
    status: int
    reason: str
    body: str


class Remote:
    """One snapshot host, at `base` (`http://HOST` or `http://HOST/prefix`)."""

    def __init__(self, base: str, timeout: float = TIMEOUT) -> None:
        self.base = check_base(base)
        self.timeout = timeout

    def newest(self, origin: str) -> str:
        """The serial the origin's trace names now."""
        url = trace_url(self.base, origin)
        answer = self._get(url)
        if answer.status == 404:
            raise Failed(f"{url}: 404 Not Found (no trace: is {origin} an archive there?)")
        if answer.status != 200:
            raise Failed(f"{url}: {answer.status} {answer.reason}")
        return archive_serial(answer.body, url)

    def check(self, origin: str, serial: str, codename: str, named: bool) -> None:
        """Return when SERIAL's Release answers; refuse, saying which is wrong, when not.

        A codename the user did not name (`stable`) that snapfront's 404 says is not there
        is replaced by the codenames it lists, the serial then found under any of them."""
        where = confirm.origin_url(self.base, origin)
        asked, serials, plain = [codename], set[str](), ""
        while asked:
            name = asked.pop(0)
            url = confirm.release_url(self.base, origin, serial, name)
            answer = self._get(url)
            judged = confirm.judge(answer.status, answer.body)
            if judged.kind is Kind.FOUND:
                return
            if judged.kind is Kind.FAILED:
                raise Failed(f"{url}: {answer.status} {answer.reason}")
            if judged.kind is Kind.NO_CODENAME:
                if named or name != codename:
                    there = f"codenames there: {', '.join(judged.listed) or 'none'}"
                    raise Refused(confirm.no_codename(origin, name, where, there))
                asked = list(judged.listed)
            elif judged.kind is Kind.NO_SERIAL:
                serials.update(judged.listed)
            else:
                plain = plain or url
        if not plain:
            raise Refused(confirm.no_serial(origin, serial, where, serials))
        self._blame(origin, serial, codename, plain)

    def _blame(self, origin: str, serial: str, codename: str, missing: str) -> None:
        """A plain 404 names neither the serial nor the codename as wrong: the same codename
        under the newest serial (the trace's) tells which one is."""
        newest = self.newest(origin)
        url = confirm.release_url(self.base, origin, newest, codename)
        if newest != serial:
            answer = self._get(url)
            if confirm.judge(answer.status, answer.body).kind is Kind.FOUND:
                raise Refused(confirm.not_found(origin, serial, missing))
        where = confirm.origin_url(self.base, origin)
        evidence = f"nor has the newest serial, {url}: 404 Not Found"
        raise Refused(confirm.no_codename(origin, codename, where, evidence))

    def _get(self, url: str) -> _Answer:
        """GET URL, redirects followed; any status is an answer, not an exception."""
        opener = urllib.request.build_opener()
        request = urllib.request.Request(url, headers={"User-Agent": f"snapfront/{__version__}"})
        try:
            try:
                with opener.open(request, timeout=self.timeout) as resp:
                    return _Answer(resp.status, resp.reason, _text(resp.read(MAX_BODY)))
            except urllib.error.HTTPError as exc:  # 4xx, 5xx
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
