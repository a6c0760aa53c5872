"""Render: Page and Feed values to the bytes of index.html, index.json (generator.page_json)
and feed.atom.

The templates in site/templates only loop and print; sizes and dates are formatted here, by
filters registered on one cached environment. Nothing depends on the time of the build, so
the same Page always gives the same bytes and an unchanged page keeps its ETag.

Filters: `size` (1536 -> "1.5 KiB"), `utc` (epoch -> "2024-01-02 03:04 UTC", `utc(False)`
drops the zone for table cells whose heading names it), `iso` (epoch -> RFC 3339, for Atom
and `<time datetime>`), `state` (a Validity -> its CSS class, "valid", "expiring", ...),
`wbr` (escapes a path and lets it break after each "/" on a narrow screen), `days` (days left
before Valid-Until, by UTC date -> "12 days left", "expires today", "" once expired).
Every template also sees `stylesheet` and `listing_script`, the fingerprinted URLs of
site/static/snapfront.css and listing.js (generator.assets: linked, cached for good, never
inlined). `demote_headings` keeps a README's own headings below the page's one <h1>.
"""

from __future__ import annotations

import functools
import re
import time
from urllib.parse import urljoin, urlsplit

import jinja2
from markupsafe import Markup, escape

from snapfront.base.site_files import PAGE_TEMPLATE, asset_url, site_dir

from .model import Feed, Page, Validity
from .page_json import page_json as page_json  # index.json beside index.html

FEED_TEMPLATE = "templates/feed.atom"
STYLESHEET = "snapfront.css"
LISTING_SCRIPT = "listing.js"
_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


@functools.cache
def environment() -> jinja2.Environment:
    root = site_dir()
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(root),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "atom")),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters.update(size=size, utc=utc, iso=iso, state=state, wbr=wbr, days=days)
    env.globals["stylesheet"] = asset_url(STYLESHEET)
    env.globals["listing_script"] = asset_url(LISTING_SCRIPT)
    return env


def compile_templates() -> None:
    """Compile every template now, not only the page template: Jinja loads the ones it
    extends or includes (base.html, repositories.html) on the first render, which in a
    serving worker is a request's (bench/archive.py cold: ~7 ms of CPU, plus reading them
    from disk after the cache was emptied). Done before `serve` forks, all workers share it."""
    env = environment()
    for name in env.list_templates(filter_func=lambda name: name.startswith("templates/")):
        env.get_template(name)


_HEADING_TAG = re.compile(r"<(/?)h([1-6])(?=[\s/>])", re.IGNORECASE)


def demote_headings(html: str) -> str:
    """A directory's README.md/HEADER.html one level down (h1 -> h2 ... h5 -> h6; h6 stays):
    the page's title is its only <h1>, the README's own title an <h2> below it."""
    return _HEADING_TAG.sub(lambda m: f"<{m[1]}h{min(int(m[2]) + 1, 6)}", html)


# --- filters ------------------------------------------------------------------------------


def size(n: int | None) -> str:
    """Bytes for people: "812 B", "2.7 KiB", "1.2 GiB" (binary units, one decimal)."""
    if n is None:
        return ""
    if n < 1024:
        return f"{n} B"
    value = float(n)
    for unit in _UNITS[1:]:
        value /= 1024
        if round(value, 1) < 1024 or unit == _UNITS[-1]:
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")


def utc(epoch: int | None, zone: bool = True) -> str:
    """Epoch seconds as "YYYY-MM-DD HH:MM UTC" (without " UTC" when `zone` is false)."""
    if epoch is None:
        return ""
    text = time.strftime("%Y-%m-%d %H:%M", time.gmtime(epoch))
    return f"{text} UTC" if zone else text


def iso(epoch: int | None) -> str:
    """Epoch seconds as RFC 3339 in UTC: "2024-01-02T03:04:05Z"."""
    if epoch is None:
        return ""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def state(validity: Validity) -> str:
    """The CSS class of a validity state; the page prints the state's text beside it."""
    return validity.name.lower()


def days(left: int | None) -> str:
    """Days left by UTC date: "expires today", "1 day left", "12 days left"; "" when expired
    (the state says so) or without a Valid-Until."""
    if left is None or left < 0:
        return ""
    if left == 0:
        return "expires today"
    return f"{left} day{'' if left == 1 else 's'} left"


def wbr(text: str) -> Markup:
    """A path that may wrap after each slash: "/a/b/" -> "/<wbr>a/<wbr>b/" (escaped)."""
    return Markup("/<wbr>").join(escape(part) for part in text.split("/"))


# --- outputs ------------------------------------------------------------------------------


def render_page(page: Page) -> str:
    """index.html; listing columns no row has data for (a page of directories) are left out."""
    show = {
        "size": any(row.size is not None for row in page.rows),
        "mtime": any(row.mtime is not None for row in page.rows),
        "sha256": any(row.sha256 for row in page.rows),
    }
    return environment().get_template(PAGE_TEMPLATE).render(page=page, show=show)


def render_feed(feed: Feed) -> str:
    """Atom 1.0; the feed's own absolute URL sits beside the directory page it describes."""
    self_url = urljoin(feed.site, feed.url.rsplit("/", 1)[-1])
    updated = max((e.updated for e in feed.entries), default=0)
    author = urlsplit(feed.site).hostname or feed.title
    return (
        environment()
        .get_template(FEED_TEMPLATE)
        .render(feed=feed, self_url=self_url, updated=updated, author=author)
    )
