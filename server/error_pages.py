"""Every 4xx answer as a small HTML page for a browser, as short text for everyone else.

A client whose Accept ranks text/html first (a browser's navigation) gets the same message in
a page laid out as every generated page (site/templates/page.html: the top bar with the
breadcrumbs of the nearest directory page above the URL, the footer, the linked stylesheet),
with links to what exists instead of an unknown serial or codename (server.error_hints), and
else to the front page's Repositories list. curl, APT (no Accept, or `*/*`) and tools keep the
plain text. Both carry `Vary: Accept` and the error class's Cache-Control. The page is a few
formatted lines (no template engine per request); everything that comes from the request is
escaped, and a Content-Security-Policy allows nothing but the site's own stylesheet.
"""

from __future__ import annotations

import http
import time
from html import escape

from aiohttp import web

from snapfront.base.site_files import asset_url

from .app import Handler
from .error_hints import Hint, Link, breadcrumbs, hint, shown_path
from .negotiate import q_value
from .origin import Origin

HTML = "text/html; charset=utf-8"
STYLESHEET = "snapfront.css"
POLICY = "default-src 'none'; style-src 'self'; img-src data:"
KEPT = ("Cache-Control", "Allow", "Content-Range", "Retry-After", "X-Snapfront-Role")
"""Headers of the plain answer that the page keeps."""
HTML_TYPES = ("text/html", "application/xhtml+xml")
REPOSITORIES = "/#repositories"
"""The front page's list of every mount (site/templates/repositories.html)."""
TOP = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="generator" content="snapfront">
<meta name="robots" content="noindex">
<link rel="icon" href="data:,">
<title>{title}</title>
<link rel="stylesheet" href="{stylesheet}">
</head>
<body>
<header class="top">
<nav class="crumbs" aria-label="Breadcrumbs">
{crumbs}
</nav>
<h1>{title}</h1>
</header>
<main>
"""
"""Down to <main>, as site/templates/base.html and page.html write it."""


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
    front = bool(crumbs) and crumbs[0].href is not None  # the page at / (and its list) exists
    everything = f'<a href="{REPOSITORIES}">Repositories</a>'
    parts = [
        TOP.format(title=escape(title), stylesheet=asset_url(STYLESHEET), crumbs=_crumbs(crumbs)),
        f'<p class="message">{escape(message)}</p>\n',
        f'<p>You asked for <code class="asked">{escape(path)}</code>.</p>\n',
    ]
    if found is not None and found.links:
        items = "".join(f"<li>{_link(link)}</li>\n" for link in found.links)
        parts.append(f'<h2>{escape(found.heading)}</h2>\n<ul class="exists">\n{items}</ul>\n')
    elif front:
        parts.append(f"<p>Every repository this host serves: {everything}.</p>\n")
    parts.append("</main>\n<footer>\n<p>Generated by snapfront")
    parts.append(f" · every repository: {everything}</p>\n" if front else "</p>\n")
    parts.append("</footer>\n</body>\n</html>\n")
    return "".join(parts).encode("utf-8")


def _crumbs(crumbs: tuple[Link, ...]) -> str:
    """As page.html writes them: "/", then each directory's name and a separating "/"."""
    found = []
    for i, crumb in enumerate(crumbs):
        shown = _link(crumb) if crumb.href else f'<span class="plain">{escape(crumb.label)}</span>'
        found.append(shown + ('<span class="sep">/</span>' if i else ""))
    return "".join(found)


def _link(link: Link) -> str:
    if link.href is None:
        return escape(link.label)
    return f'<a href="{escape(link.href)}">{escape(link.label)}</a>'
