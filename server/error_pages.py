"""Every 4xx answer as a small HTML page for a browser, as short text for everyone else.

A client whose Accept ranks text/html first (a browser's navigation) gets the same message in
a page: the breadcrumbs of the nearest directory page above the URL and, for an unknown serial
or codename, links to those that exist (server.error_hints). curl, APT (no Accept, or `*/*`)
and tools keep the plain text. Both carry `Vary: Accept` and the error class's Cache-Control.
The page is a few formatted lines (no template engine per request); everything that comes
from the request is escaped, and a Content-Security-Policy forbids any script besides.
"""

from __future__ import annotations

import http
import time
from html import escape

from aiohttp import web

from .app import Handler
from .error_hints import Hint, Link, breadcrumbs, hint, shown_path
from .negotiate import q_value
from .origin import Origin

HTML = "text/html; charset=utf-8"
POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
KEPT = ("Cache-Control", "Allow", "Content-Range", "Retry-After", "X-Snapfront-Role")
"""Headers of the plain answer that the page keeps."""
HTML_TYPES = ("text/html", "application/xhtml+xml")

STYLE = """\
:root{color-scheme:light dark;--bg:#fbfbfa;--fg:#1d1f21;--muted:#5c6168;--link:#0b4fb3;\
--line:#dcdde0}
@media (prefers-color-scheme:dark){:root{--bg:#14161a;--fg:#e3e5e8;--muted:#a0a6ae;\
--link:#8cb8ff;--line:#33373e}}
body{margin:0 auto;max-width:48rem;padding:1rem;background:var(--bg);color:var(--fg);\
font:1rem/1.5 system-ui,sans-serif}
a{color:var(--link)}
nav{color:var(--muted);overflow-wrap:anywhere}
h1{font-size:1.5rem;margin:.5rem 0}
p.message{white-space:pre-wrap;overflow-wrap:anywhere}
code{font-family:ui-monospace,"DejaVu Sans Mono",monospace;overflow-wrap:anywhere}
ul.exists{columns:14rem;padding-left:1.2rem}"""


def prefers_html(accept: str | None) -> bool:
    """True when `accept` names text/html (or XHTML) with a weight no other named type beats:
    `text/html,application/xhtml+xml,…,*/*;q=0.8` yes; none, `*/*`, `text/plain` no."""
    if not accept or "html" not in accept:
        return False
    html = other = 0.0
    for item in accept.split(","):
        kind, _, params = item.partition(";")
        kind = kind.strip().lower()
        weight = _weight(params)
        if kind in HTML_TYPES:
            html = max(html, weight)
        elif "*" not in kind:
            other = max(other, weight)
    return html > 0 and html >= other


def _weight(params: str) -> float:
    return min(max(q_value(params), 0.0), 1.0)


def with_error_pages(handler: Handler, origin: Origin) -> Handler:
    """`handler`, its 4xx answers varying by Accept: pages for browsers, text for the rest."""

    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        answer = await handler(request)
        if answer.status < 400 or answer.status >= 500:
            return answer  # the hot path: one comparison
        answer.headers["Vary"] = "Accept"
        if not isinstance(answer, web.Response) or answer.prepared:
            return answer
        if not prefers_html(request.headers.get("Accept")):
            return answer
        return page_answer(origin, request, answer)

    return handle


def page_answer(origin: Origin, request: web.BaseRequest, plain: web.Response) -> web.Response:
    """The page for a plain-text 4xx answer `plain`, with its status and kept headers."""
    raw = request.raw_path.partition("?")[0]
    body = plain.body if isinstance(plain.body, bytes) else b""
    message = body.decode("utf-8", "replace").strip()
    rules, now = origin.rules, time.time()
    crumbs, found = breadcrumbs(rules, raw, now), hint(rules, raw, now)
    page = render(plain.status, message, shown_path(raw), crumbs, found)
    headers = {name: plain.headers[name] for name in KEPT if name in plain.headers}
    headers |= {"Content-Type": HTML, "Vary": "Accept", "Content-Security-Policy": POLICY}
    headers["X-Content-Type-Options"] = "nosniff"
    return web.Response(status=plain.status, body=page, headers=headers)


def render(
    status: int, message: str, path: str, crumbs: tuple[Link, ...], found: Hint | None
) -> bytes:
    """The page's bytes; `path` is the requested path, decoded (attacker-controlled)."""
    try:
        title = f"{status} {http.HTTPStatus(status).phrase}"
    except ValueError:
        title = str(status)
    if found is not None and found.links:  # "X does not exist; those that do:\nA\nB"
        message = message.split("\n", 1)[0].rsplit(";", 1)[0] + "."  # the list as links
    parts = [
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        '<meta name="color-scheme" content="light dark">\n<meta name="robots" content="noindex">\n',
        f'<link rel="icon" href="data:,">\n<title>{escape(title)}</title>\n',
        f"<style>\n{STYLE}\n</style>\n</head>\n<body>\n",
        f'<nav aria-label="Breadcrumbs">{_crumbs(crumbs)}</nav>\n<main>\n',
        f'<h1>{escape(title)}</h1>\n<p class="message">{escape(message)}</p>\n',
        f"<p>You asked for <code>{escape(path)}</code>.</p>\n",
    ]
    if found is not None and found.links:
        items = "".join(f"<li>{_link(link)}</li>\n" for link in found.links)
        parts.append(f'<h2>{escape(found.heading)}</h2>\n<ul class="exists">\n{items}</ul>\n')
    parts.append("</main>\n</body>\n</html>\n")
    return "".join(parts).encode("utf-8")


def _crumbs(crumbs: tuple[Link, ...]) -> str:
    """Written as a path: "/", then each directory's name and its "/"."""
    return "".join(_link(Link(c.label + "/" if i else "/", c.href)) for i, c in enumerate(crumbs))


def _link(link: Link) -> str:
    if link.href is None:
        return escape(link.label)
    return f'<a href="{escape(link.href)}">{escape(link.label)}</a>'
