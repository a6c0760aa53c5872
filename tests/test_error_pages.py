"""4xx answers: a small HTML page for a browser, the short text for curl and APT.

Against the session's live server and sample host (two serials, a slash codename, a files
mount at /): the page's breadcrumbs and its lists of serials and codenames must lead to pages
that answer 200, the path in it is escaped, and every 4xx says `Vary: Accept`, `no-store`.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest

from snapfront.sample import SampleHost
from snapfront.server.error_pages import prefers_html
from tests.support import Reply, fetch

pytestmark = pytest.mark.live


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"
TOOLS = [None, "*/*", "text/plain", "application/json"]


class Links(HTMLParser):
    """The hrefs of a page, its breadcrumbs and footer apart, how many h1 it has, and its
    frame: the elements that open <body>, <header> and <footer>, and its stylesheets."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.crumbs: list[str] = []
        self.footer: list[str] = []
        self.h1 = 0
        self.frame: list[str] = []
        self.stylesheets: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.h1 += tag == "h1"
        if tag in ("nav", "footer"):
            self._in = tag
        if tag in ("header", "nav", "main", "footer"):
            self.frame.append(f"{tag}.{found.get('class') or ''}")
        if tag == "link" and found.get("rel") == "stylesheet":
            self.stylesheets.append(found.get("href") or "")
        if tag == "a" and found.get("href"):
            where = {"nav": self.crumbs, "footer": self.footer}.get(self._in or "", self.hrefs)
            where.append(found["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None


def parse(body: bytes) -> Links:
    links = Links()
    links.feed(body.decode("utf-8"))
    return links


def get(base_url: str, path: str, accept: str | None, method: str = "GET") -> Reply:
    headers = {} if accept is None else {"Accept": accept}
    return fetch(base_url + "/", method, headers, path=path)


def as_error(reply: Reply, status: int) -> None:
    assert reply.status == status
    assert reply.header("Vary") == "Accept"
    assert reply.header("Cache-Control") == "no-store"


def test_prefers_html_only_for_a_browser() -> None:
    assert prefers_html(BROWSER)
    assert prefers_html("text/html")
    assert prefers_html("application/xhtml+xml;q=0.9, text/plain;q=0.5")
    for accept in (*TOOLS, "", "text/html;q=0", "text/plain, text/html;q=0.5", "TEXT/HTML;q=x"):
        assert not prefers_html(accept), accept


@pytest.mark.parametrize("accept", TOOLS)
def test_tools_keep_the_short_text(base_url: str, sample_host: SampleHost, accept) -> None:
    old, new = sample_host.serials
    reply = get(base_url, "/debian/2099123199/dists/bookworm/InRelease", accept)
    as_error(reply, 404)
    assert reply.header("Content-Type") == "text/plain; charset=utf-8"
    expected = (
        f"snapshot 2099123199 does not exist for bookworm; snapshots that do:\n{old}\n{new}\n"
    )
    assert reply.body.decode() == expected


def test_an_unknown_codename_lists_the_codenames(base_url: str, sample_host: SampleHost) -> None:
    old = sample_host.serials[0]
    for path in (
        f"/debian/{old}/dists/sid/InRelease",
        "/debian/dists/sid/",
        f"/debian/{old}/dists/sid/",
    ):
        reply = get(base_url, path, None)
        as_error(reply, 404)
        assert (
            reply.body == b"unknown codename sid; codenames that exist:\nbookworm\njessie/updates\n"
        )


def test_a_browser_gets_a_page_whose_links_answer(base_url: str, sample_host: SampleHost) -> None:
    old, new = sample_host.serials
    cases = {  # path: links the page must offer besides its breadcrumbs
        "/debian/2099123199/dists/bookworm/InRelease": [
            f"/debian/{new}/dists/bookworm/", f"/debian/{old}/dists/bookworm/"],
        "/debian/2099123199/": [f"/debian/{new}/", f"/debian/{old}/"],
        f"/debian/{old}/dists/sid/InRelease": [
            f"/debian/{old}/dists/bookworm/", f"/debian/{old}/dists/jessie/updates/"],
        "/debian/dists/sid/": ["/debian/dists/bookworm/", "/debian/dists/jessie/updates/"],
        "/mediawiki/1.41/no-such-release.tar.gz": ["/#repositories"],  # nothing better
    }  # fmt: skip
    for path, offered in cases.items():
        reply = get(base_url, path, BROWSER)
        as_error(reply, 404)
        assert reply.header("Content-Type") == "text/html; charset=utf-8"
        page = parse(reply.body)
        assert page.h1 == 1 and b'<link rel="icon" href="data:,">' in reply.body
        assert page.hrefs == offered, path
        assert page.crumbs[0] == "/" and len(page.crumbs) >= 2, page.crumbs
        assert all(path.startswith(crumb) for crumb in page.crumbs), page.crumbs
        assert page.footer == ["/#repositories"]
        for href in page.crumbs + page.hrefs:
            target = urljoin(path, href).split("#")[0]  # a fragment stays in the browser
            assert get(base_url, target, BROWSER).status == 200, (path, href)


def test_an_error_page_has_the_layout_of_every_page(base_url: str) -> None:
    """The top bar (breadcrumbs, title), main and footer of a generated page, its stylesheet,
    and a link to the Repositories list of the front page (where it is)."""
    listing = parse(fetch(base_url + "/debian/").body)
    front = fetch(base_url + "/")
    assert b'<h2 id="repositories">Repositories</h2>' in front.body
    for path, status in [("/nothing/here", 404), ("/debian/2099123199/", 404), ("/%zz", 400)]:
        reply = get(base_url, path, BROWSER)
        as_error(reply, status)
        page = parse(reply.body)
        assert page.frame == listing.frame == ["header.top", "nav.crumbs", "main.", "footer."]
        assert page.stylesheets == listing.stylesheets and len(page.stylesheets) == 1
        assert fetch(base_url + page.stylesheets[0]).status == 200
        assert "style-src 'self'" in (reply.header("Content-Security-Policy") or "")
        assert b"<style" not in reply.body
        assert page.footer == ["/#repositories"], path
    generic = parse(get(base_url, "/nothing/here", BROWSER).body)
    assert generic.hrefs == ["/#repositories"]  # not only "/", the list of every mount


def test_the_nearest_parent_page_is_the_last_crumb(base_url: str) -> None:
    """/debian/project/ has no page of its own: shown, not linked; trace/ is the nearest."""
    page = parse(get(base_url, "/debian/project/trace/nothing/here", BROWSER).body)
    assert page.crumbs == ["/", "/debian/", "/debian/project/trace/"]
    deep = parse(get(base_url, "/mediawiki/1.41/" + "x/" * 1500 + "y", BROWSER).body)
    assert deep.crumbs == ["/", "/mediawiki/", "/mediawiki/1.41/"]


def test_the_path_is_escaped(base_url: str) -> None:
    attack = "/mediawiki/<script>alert(1)</script>\"'><img/src=x/onerror=alert(2)>"
    reply = get(base_url, attack, BROWSER)
    as_error(reply, 404)
    assert b"<script" not in reply.body and b"<img" not in reply.body
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#x27;&gt;&lt;img/src=x" in reply.body
    assert "script-src" not in (policy := reply.header("Content-Security-Policy") or "")
    assert policy.startswith("default-src 'none'")


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/%zz", 400),  # malformed percent-encoding: parsed, then refused
        ("GET", "/" + "a" * 4200, 414),
        ("GET", "/-/nothing", 404),  # snapfront's own URL space
        ("POST", "/mediawiki/", 405),
    ],
)
def test_every_4xx_is_a_page_for_a_browser(base_url: str, method: str, path: str, status: int):
    page = get(base_url, path, BROWSER, method)
    as_error(page, status)
    assert page.header("Content-Type") == "text/html; charset=utf-8"
    assert parse(page.body).crumbs == ["/"]
    text = get(base_url, path, None, method)
    as_error(text, status)
    assert text.header("Content-Type") == "text/plain; charset=utf-8"
    if status == 405:
        assert page.header("Allow") == text.header("Allow") == "GET, HEAD"


def test_head_has_the_headers_of_get(base_url: str) -> None:
    for accept in (BROWSER, None):
        path = "/debian/2099123199/"
        got, head = get(base_url, path, accept), get(base_url, path, accept, "HEAD")
        assert head.status == got.status == 404 and head.body == b""
        for name in ("Content-Type", "Content-Length", "Vary", "Cache-Control"):
            assert head.header(name) == got.header(name), name
