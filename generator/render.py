"""Render: Page and Feed values to the bytes of index.html, index.json and feed.atom.

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

import dataclasses
import functools
import json
import re
import time
from urllib.parse import urljoin, urlsplit

import jinja2
from markupsafe import Markup, escape

from snapfront.base.site_files import PAGE_TEMPLATE, asset_url, site_dir
from snapfront.diffs.changes import delta_json
from snapfront.diffs.changes import to_json as changes_json
from snapfront.diffs.compare import Counts

from .model import (
    Checksums,
    Feed,
    Link,
    Page,
    Repository,
    Row,
    SerialRow,
    Suite,
    SuiteGroup,
    SuiteHistory,
    Validity,
)

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


def page_json(page: Page) -> str:
    """index.json: what the page shows, for tools. Keys sorted, no build time; the shape:

    {
      "url": "/releases/mediawiki/", "title": "Index of /releases/mediawiki/",
      "note": str | null,
      "keep": str | null,       # a serial page: the command that extends its Valid-Until
      "feed": {"label", "href"} | null, "keyring": {"label", "href"} | null,
      "entries": [{"name": "1.42" | "mediawiki-1.42.1.tar.gz",   # no trailing "/"
                   "href": str,                                  # relative, percent-encoded
                   "type": "directory" | "file",
                   "size": int | null, "mtime": int | null,      # bytes; epoch seconds UTC
                   "sha256": str | null,
                   "signatures": [{"label": "asc", "href": "...tar.gz.asc"}]}],
      "serials": [{"serial", "href", "date", "codenames": [str], "valid_until",
                   "validity": "valid" | "expiring" | "expired" | "no Valid-Until",
                   "days_left": int | null,  # whole days; negative once expired
                   "complete": bool,   # every codename has it, signed (rewrite_rules.complete)
                   "newest": bool,     # the newest complete serial: the one the trace names
                   "changes": {"added", "removed", "upgraded", "downgraded", "href"} | null}],
      "suites": [{"codename", "suite", "origin", "label", "architectures": [str],
                  "components": [str], "date", "valid_until", "signed", "has_sources",
                  "validity", "href",  # href: the absolute URL path of its page
                  "kind": "main" | "overlay" | "release" | "other" | null,  # a repository's
                  "stanza": {"types": [str], "uri", "suites": [str], "components": [str],
                             "signed_by", "keyring_url", "text"}}],
      "snapshot_conf": {"path", "text", "warning"} | null,  # apt update --snapshot
      "repositories": [{"url", "kind", "keyring": {"label", "href"} | null,
                        "newest": {"label", "href"} | null}]   # "/" only: every mount
      "checksums": {"href": "SHA256SUMS", "generated": bool,   # false: the release manager's
                    "signatures": [{"label": "asc", "href": "SHA256SUMS.asc"}]} | null,
      "suite_groups": [{"kind", "title", "suites": [{"name", "href", "ref", "uploads",
                        "last_change", "last_event", "last_title"}]}],   # a repository mount's page
      "history": {"suite", "kind", "older",   # a repository suite's page, else null
                  "events": [{"event", "when", "detail",   # newest first
                              "changes": diffs.changes' delta shape}]} | null
    }

    Dates are epoch seconds (int) or null; entries, serials and suites keep the page's order.
    A serial's changes page adds "changes" (diffs.changes.to_json) and "previous" (a link to
    the previous serial's changes page, or null).
    """
    document = {
        "url": page.url,
        "title": page.title,
        "note": page.note,
        "keep": page.keep,
        "feed": _link(page.feed),
        "keyring": _link(page.keyring),
        "entries": [_entry(row) for row in page.rows],
        "serials": [_serial(row) for row in page.serials],
        "suites": [_suite(suite) for suite in page.suites],
        "snapshot_conf": dataclasses.asdict(page.snapshot_conf) if page.snapshot_conf else None,
        "repositories": [_repository(repo) for repo in page.repositories],
        "checksums": _checksums(page.checksums),
        "suite_groups": [_group(group) for group in page.suite_groups],
        "history": _history(page.history),
    }
    if page.changes is not None:
        document["changes"] = changes_json(page.changes)
        document["previous"] = _link(page.previous)
    return json.dumps(document, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def _repository(repo: Repository) -> dict[str, object]:
    return {
        "url": repo.url,
        "kind": repo.kind,
        "keyring": _link(repo.keyring),
        "newest": _link(repo.newest),
    }


def _group(group: SuiteGroup) -> dict[str, object]:
    rows = [dataclasses.asdict(row) for row in group.rows]
    return {"kind": group.kind, "title": group.title, "suites": rows}


def _history(told: SuiteHistory | None) -> dict[str, object] | None:
    if told is None:
        return None
    events = [
        {"event": e.event, "when": e.when, "detail": e.detail, "changes": delta_json(e.delta)}
        for e in told.events
    ]
    return {"suite": told.suite, "kind": told.kind, "older": told.older, "events": events}


def _link(link: Link | None) -> dict[str, str] | None:
    return None if link is None else {"label": link.label, "href": link.href}


def _checksums(found: Checksums | None) -> dict[str, object] | None:
    if found is None:  # the sums themselves are the entries' "sha256"
        return None
    signatures = [_link(sig) for sig in found.signatures]
    return {"href": found.href, "generated": found.generated, "signatures": signatures}


def _entry(row: Row) -> dict[str, object]:
    return {
        "name": row.name.rstrip("/") if row.is_dir else row.name,
        "href": row.href,
        "type": "directory" if row.is_dir else "file",
        "size": row.size,
        "mtime": row.mtime,
        "sha256": row.sha256,
        "signatures": [_link(sig) for sig in row.signatures],
    }


def _serial(row: SerialRow) -> dict[str, object]:
    return {
        "serial": row.serial,
        "href": row.href,
        "date": row.date,
        "codenames": list(row.codenames),
        "valid_until": row.valid_until,
        "validity": row.validity.value,
        "days_left": row.days_left,
        "complete": row.complete,
        "newest": row.newest,
        "changes": None
        if row.changes is None
        else {**_counts(row.changes), "href": row.changes_href},
    }


def _counts(counts: Counts) -> dict[str, int]:
    return {
        "added": counts.added,
        "removed": counts.removed,
        "upgraded": counts.upgraded,
        "downgraded": counts.downgraded,
    }


def _suite(suite: Suite) -> dict[str, object]:
    dist, stanza = suite.distribution, suite.stanza
    return {
        "codename": dist.codename,
        "suite": dist.suite,
        "origin": dist.origin,
        "label": dist.label,
        "architectures": list(dist.architectures),
        "components": list(dist.components),
        "date": dist.date,
        "valid_until": dist.valid_until,
        "signed": dist.signed,
        "has_sources": dist.has_sources,
        "validity": suite.validity.value,
        "href": suite.href,
        "kind": suite.kind,
        "stanza": {
            "types": list(stanza.types),
            "uri": stanza.uri,
            "suites": list(stanza.suites),
            "components": list(stanza.components),
            "signed_by": stanza.signed_by,
            "keyring_url": stanza.keyring_url,
            "text": stanza.text,
        },
    }
