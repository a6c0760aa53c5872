"""A link checker for a running `snapfront serve`: crawl every page reachable from `/`.

Every `href` and `src` of every HTML page is requested (redirects followed); pages (HTML
answers) are crawled in turn. The result says which links broke, which pages were reached and
which generated pages (index.html files under the output directory) no link leads to.
"""

from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, unquote, urldefrag, urljoin, urlsplit

from tests.support import fetch

MAX_REDIRECTS = 5
STATE_DIR = ".snapfront"


class _Links(HTMLParser):
    """The `href` and `src` attribute values of one page, in document order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [value for name, value in attrs if name in ("href", "src") and value]


@dataclass
class Crawl:
    pages: set[str] = field(default_factory=set)  # decoded URL paths of the HTML pages reached
    links: int = 0  # href/src occurrences checked
    targets: set[str] = field(default_factory=set)  # distinct URLs requested
    broken: dict[str, tuple[int, str]] = field(default_factory=dict)  # URL → (status, a referrer)
    external: set[str] = field(default_factory=set)  # links to other hosts (not followed)

    def counts(self) -> str:
        return (
            f"pages: {len(self.pages)}, links: {self.links} ({len(self.targets)} distinct), "
            f"broken: {len(self.broken)}"
        )

    def report(self) -> str:
        return "\n".join(f"{status} {url} (linked from {src})" for url, (status, src) in
                         sorted(self.broken.items()))  # fmt: skip


def _get(base: str, path: str) -> tuple[int, str, bytes, str]:
    """(final status, final path, body, content type), following up to MAX_REDIRECTS."""
    for _ in range(MAX_REDIRECTS + 1):
        reply = fetch(base, path=path)
        location = reply.header("Location")
        if reply.status in (301, 302, 303, 307, 308) and location:
            path = urlsplit(urljoin(base + path, location)).path or "/"
            continue
        return reply.status, path, reply.body, reply.header("Content-Type") or ""
    return 310, path, b"", ""  # too many redirects


def crawl(base: str, starts: tuple[str, ...] = ("/",)) -> Crawl:
    """Breadth-first from `starts` (`/` alone by default) over `base` (http://HOST:PORT)."""
    result = Crawl()
    host = urlsplit(base).netloc
    queue: deque[tuple[str, str]] = deque((start, "(start)") for start in starts)
    seen: set[str] = set(starts)
    while queue:
        path, referrer = queue.popleft()
        result.targets.add(path)
        status, final, body, ctype = _get(base, path)
        if not 200 <= status < 300:
            result.broken[path] = (status, referrer)
            continue
        if not ctype.startswith("text/html") or unquote(final) in result.pages:
            continue
        result.pages.add(unquote(final))
        parser = _Links()
        parser.feed(body.decode("utf-8", "replace"))
        for value in parser.found:
            absolute, _ = urldefrag(urljoin(base + final, value))
            parts = urlsplit(absolute)
            if parts.scheme not in ("http", "https"):
                continue  # data:, mailto:
            result.links += 1
            if parts.netloc != host:
                result.external.add(absolute)
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target not in seen:
                seen.add(target)
                queue.append((target, final))
    return result


def generated_pages(output: Path) -> set[str]:
    """The decoded URL path of every index.html the generator wrote (its state dir aside)."""
    found = set()
    for folder, dirs, files in os.walk(output):
        dirs[:] = [d for d in dirs if d != STATE_DIR]
        if "index.html" in files:
            rel = os.path.relpath(folder, output)
            found.add("/" if rel == "." else f"/{rel}/")
    return found


def orphans(result: Crawl, output: Path) -> list[str]:
    """Generated pages that no crawled link leads to."""
    return sorted(quote(p) for p in generated_pages(output) - result.pages)
