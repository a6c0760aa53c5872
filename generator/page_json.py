"""index.json: what a page shows, for tools (generator.render writes it beside index.html)."""

from __future__ import annotations

import dataclasses
import json

from snapfront.diffs.changes import delta_json
from snapfront.diffs.changes import to_json as changes_json
from snapfront.diffs.compare import Counts

from .model import (
    Checksums,
    Link,
    Page,
    Repository,
    Row,
    SerialRow,
    Suite,
    SuiteGroup,
    SuiteHistory,
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
    A repository's top page adds "rejected_uploads" while there are some: [{"changes",
    "suite", "source", "version", "reason", "when", "signed"}], newest first.
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
    if page.uploads:  # a repository's top page, while rejected uploads are kept aside
        document["rejected_uploads"] = [dataclasses.asdict(row) for row in page.uploads]
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
