"""The hot path: answers the full path gave, replayed byte for byte while still true.

Most requests a snapshot host sees are the same few: GET or HEAD of an InRelease or Release
(a 200, or a 304 for APT's If-None-Match / If-Modified-Since) and 404s for serials that do not
exist yet. aiohttp's per-request machinery costs ten times nginx's whole answer, so for those:

- `learning` wraps the request handler: when the full path answers a simple request (hot_heads)
  with a small file kept in memory, or a plain Miss, it marks the request with a check that
  says whether that answer still holds: the same rules, and the same SmallFiles entry after a
  fresh `os.stat` (the file), or no new serial on disk and no archive re-read due (the Miss);
- once aiohttp has sent it, `learn` keeps the exact bytes it sent (headers as aiohttp wrote
  them, the Date left out), keyed by everything in the head the answer may depend on;
- protocol.py hands every chunk that arrives while aiohttp is idle to `serve`, which answers
  the simple heads at its start from kept answers, each after its check passes (so a file
  replaced, truncated or removed is answered from disk on the very next request, in every
  worker), logs and counts them as aiohttp would, and leaves the rest to aiohttp.

Learning from the full path, rather than building a second answer beside it, is what keeps
the two the same: headers, validators, cache classes, Vary and error texts have one source.
SNAPFRONT_FAST_PATH=0 turns it off (README: Serving at speed), for debugging and for the test
that compares the two (tests/test_hot_differential.py).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.helpers import rfc822_formatted_time
from aiohttp.http_writer import _serialize_headers

from snapfront.rewrite_rules import Miss, Target
from snapfront.rewrite_rules.instants import instant_mount

from . import access_log
from .app import METER, Handler
from .error_pages import prefers_html
from .hot_heads import OTHER, TARGET, Head, Key, key_of, scan
from .origin import Origin

ENV = "SNAPFRONT_FAST_PATH"
LEARN = "snapfront.hot"
"""request[LEARN]: the check that says whether its answer still holds."""
LIMIT = 4096
"""Answers kept per worker; all are forgotten when full (a crawl of distinct URLs)."""
HEAD_MEMO = 1024
"""Reads up to this long that are one simple head have their scan kept: HEADS_KEPT of them, at
most a MiB a worker."""
HEADS_KEPT = 1024
_DATE = b"\r\nDate: "

Check = Callable[[], bool]


@dataclass(frozen=True, slots=True)
class Answer:
    head: bytes
    """The status line and headers up to `Date: `."""
    tail: bytes
    """The rest of the headers, through the empty line, then the body (none for HEAD, 304)."""
    status: int
    sent: int
    meter: tuple[str, str]
    keep_alive: bool
    check: Check


@dataclass(frozen=True, slots=True)
class Replay:
    """A read that was exactly one simple head, and the answer it got: the next identical read
    (a client asking again in the same bytes: APT's next `apt update`, a build's polls, wrk)
    costs a dict lookup and the answer's check."""

    key: Key
    answer: Answer
    middle: bytes
    """Its access-log line between the time and the seconds taken (access_log.line_middle)."""


def enabled() -> bool:
    return os.environ.get(ENV, "1") != "0"


class Hot:
    """One worker's kept answers."""

    def __init__(self, origin: Origin) -> None:
        self.origin = origin
        self._answers: dict[Key, Answer] = {}
        self._heads: dict[bytes, Head] = {}
        self._replays: dict[bytes, Replay] = {}
        self._date = ("", b"")
        self.answered = 0
        """Requests answered here since the worker started (a metric: run.py folds it)."""

    def _remember(self, buf: bytes, head: Head) -> None:
        """A read that is exactly one simple head: its scan, for the next identical read (a
        client asks again in the same bytes: wrk, APT's next `apt update`, a build's polls)."""
        if len(self._heads) >= HEADS_KEPT:
            self._heads.clear()
        self._heads[buf] = head

    def replay(self, data: bytes) -> Replay | None:
        """The kept answer to a read seen before, when it still holds (else forgotten)."""
        entry = self._replays.get(data)
        if entry is None:
            return None
        answer = entry.answer
        if self._answers.get(entry.key) is not answer:
            del self._replays[data]  # learned again since
            return None
        if not answer.check():
            return None
        self.answered += 1
        return entry

    def date(self) -> bytes:
        """The Date aiohttp would send now, as bytes (aiohttp formats it once a second)."""
        text = rfc822_formatted_time()
        if text is not self._date[0]:
            self._date = (text, text.encode())
        return self._date[1]

    def _keep_replay(self, buf: bytes, head: Head, answer: Answer) -> None:
        if len(self._replays) >= HEADS_KEPT:
            self._replays.clear()
        method, target, minor = head.key[0], head.key[1], head.key[2]
        middle = access_log.line_middle(
            method, target, f"1.{minor}", answer.status, answer.sent, head.referer, head.agent
        )
        self._replays[buf] = Replay(head.key, answer, middle)

    def learning(self, handler: Handler) -> Handler:
        async def handle(request: web.BaseRequest) -> web.StreamResponse:
            answer = await handler(request)
            if isinstance(answer, web.Response) and answer.status in (200, 304, 404):
                check = self._check(request, answer)
                if check is not None:
                    request[LEARN] = check
            return answer

        return handle

    def learn(self, request: web.BaseRequest, response: web.StreamResponse) -> None:
        """Keep what aiohttp just sent for `request` (marked by `learning`)."""
        check = request.get(LEARN)
        key = request_key(request)
        if check is None or key is None or not isinstance(response, web.Response):
            return
        version = request.version
        status_line = f"HTTP/{version[0]}.{version[1]} {response.status} {response.reason}"
        block = _serialize_headers(status_line, response.headers)
        at = block.find(_DATE)
        if at < 0 or response.keep_alive != key[3]:
            return
        after = block.index(b"\r\n", at + len(_DATE))
        body = response.body if isinstance(response.body, bytes) else b""
        if request.method == "HEAD" or response.status == 304:
            body = b""
        if len(self._answers) >= LIMIT:
            self._answers.clear()
        meter = request.get(METER, access_log.UNMETERED)
        self._answers[key] = Answer(
            block[: at + len(_DATE)], block[after:] + body, response.status, len(body),
            meter, key[3], check,
        )  # fmt: skip

    def serve(
        self, buf: bytes, remote: str, room: Callable[[], bool]
    ) -> tuple[list[bytes], Served]:
        """Answer the simple heads at the start of `buf` while `room()` says the transport
        takes more; the answers' bytes, and what was consumed and whether to keep alive."""
        out: list[bytes] = []
        served = Served()
        pos = 0
        started = time.monotonic()
        while pos < len(buf):
            head = self._heads.get(buf) if pos == 0 else None
            if head is None:
                head = scan(buf, pos)
                if not pos and isinstance(head, Head) and head.end == len(buf) <= HEAD_MEMO:
                    self._remember(buf, head)
            if not isinstance(head, Head):
                served.incomplete = head is not OTHER
                break
            if not head.key[3] and head.end < len(buf):
                break  # aiohttp's parser answers bytes after a close with a 400 instead
            answer = self._answers.get(head.key)
            if answer is None or not answer.check():
                break  # kept: a check that failed while a re-read was due holds again once
                # it started (as the full path answers meanwhile), and relearning replaces it
            out.append(answer.head + self.date() + answer.tail)
            served.answered.append((head, answer, time.monotonic() - started))
            pos = head.end
            if not answer.keep_alive:
                served.keep_alive = False
                break
            if head.end == len(buf) <= HEAD_MEMO and len(served.answered) == 1:
                self._keep_replay(buf, head, answer)
            if not room():
                break
        served.used = pos
        return out, served

    def sent(self, served: Served, remote: str) -> None:
        """The answers of `served` went out: their access-log lines, and counts."""
        self.answered += len(served.answered)
        for head, answer, elapsed in served.answered:
            method, target, minor = head.key[0], head.key[1], head.key[2]
            access_log.record(
                remote, method, target, f"1.{minor}", answer.status, answer.sent, head.referer,
                head.agent, elapsed, answer.meter,
            )  # fmt: skip

    def _check(self, request: web.BaseRequest, answer: web.Response) -> Check | None:
        """When `answer` may be replayed for requests with the same key: the check to make."""
        if request_key(request) is None:
            return None
        raw = request.raw_path.partition("?")[0]
        origin = self.origin
        rules = origin.rules
        if instant_mount(rules, raw) is not None:
            return None  # a timestamp's answer moves with the clock
        found = origin.resolve(raw)
        if isinstance(found, Miss):
            if found.status != answer.status or prefers_html(request.headers.get("Accept")):
                return None  # a page for browsers stats its ancestors: the full path's job
            settled = origin.settled_check(found)
            return lambda: origin.rules is rules and settled()
        if not isinstance(found, Target) or answer.status == 404 or len(found.sources) != 1:
            return None
        source = found.sources[0]
        if source.generated:
            return None  # precompressed variants and content ETags: the full path's job
        path = os.path.join(source.base, source.relpath)
        small = origin.small
        cached = small.peek(path, found.cache)
        if cached is None or (answer.status == 200 and answer.body is not cached.data):
            return None
        holds = small.holds(path, found.cache, cached)
        return lambda: origin.rules is rules and holds()


@dataclass(slots=True)
class Served:
    answered: list[tuple[Head, Answer, float]] = field(default_factory=list)
    used: int = 0
    keep_alive: bool = True
    incomplete: bool = False
    """The bytes left start a head that is not complete yet (and may be simple)."""


def request_key(request: web.BaseRequest) -> Key | None:
    """The key of a request aiohttp parsed, as hot_heads.scan makes it from the bytes."""
    version = request.version
    if request.method not in ("GET", "HEAD") or version.major != 1 or version.minor > 1:
        return None
    target = request.raw_path
    if not TARGET.match(target):
        return None
    fields: dict[str, str] = {}
    for name, value in request.headers.items():
        lower = name.lower()
        if lower in fields or not value.isascii() or not value.isprintable():
            return None
        fields[lower] = value
    key = key_of(request.method, target, version.minor, fields)
    if key is None or key[3] != request.keep_alive:
        return None
    return key
