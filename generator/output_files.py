"""Which files one output (a page, a feed, a trace) becomes in the output directory, and
writing them: index.html, index.json and a generated SHA256SUMS for a page; the file itself
for a feed or trace. The builder asks here so the watcher, purger and memo agree on names."""

from __future__ import annotations

import contextlib
import email.utils
from urllib.parse import unquote

from snapfront.base.stamps import stamps
from snapfront.rewrite_rules.names import CHECKSUMS, INDEX_JSON, INDEX_PAGE

from .checksums import generated_sums
from .model import Feed, Page
from .pages import Output
from .render import page_json, render_feed, render_page
from .write import Writer


def output_paths(output: Output) -> list[tuple[str, bool]]:
    """(path relative to the output directory, precompressed) of each file an output makes."""
    where = unquote(output.url).lstrip("/")
    if isinstance(output, Page):
        sums = output.checksums is not None and output.checksums.generated
        sums = [(where + CHECKSUMS, False)] if sums else []  # sent as is, never compressed
        return [(where + INDEX_PAGE, True), (where + INDEX_JSON, True), *sums]
    return [(where, isinstance(output, Feed))]


def write_output(writer: Writer, output: Output) -> list[str]:
    """Render and write one output; the output paths whose bytes changed, or that were removed
    (a SHA256SUMS no longer generated: the release manager put theirs in the root)."""
    gone: list[str] = []
    if isinstance(output, Page):
        texts = [render_page(output), page_json(output), *generated_sums(output)]
        stale = unquote(output.url).lstrip("/") + CHECKSUMS
        gone = [stale] if len(texts) == 2 and writer.discard(stale) else []
    elif isinstance(output, Feed):
        texts = [render_feed(output)]
    else:
        texts = [output.text]
    date = date_of(output)
    return gone + [
        path
        for (path, packed), text in zip(output_paths(output), texts, strict=True)
        if writer.write(path, text.encode(), compress=packed, mtime=date)
    ]


def date_of(output: Output) -> float | None:
    """The newest date an output shows, as its files' mtime and so their Last-Modified: the
    same on every replica holding the same data (rsync -a keeps mtimes), where the time of
    writing would differ. A page: its rows, serials and suites; a feed: its newest entry; a
    trace: its own `Date:` (the snapshot's InRelease). None (no date shown): writing time.
    The content-hash ETag stays the validator that notices any change of bytes."""
    if isinstance(output, Page):
        found = [r.mtime for r in output.rows]
        found += [s.date for s in output.serials]
        found += [s.distribution.date for s in output.suites]
        found.append(output.date)
    elif isinstance(output, Feed):
        found = [e.updated for e in output.entries]
    else:
        found = [_trace_date(output.text)]
    dates = [d for d in found if d is not None]
    return float(max(dates)) if dates else None


def _trace_date(text: str) -> float | None:
    for line in text.splitlines():
        if line.startswith("Date: "):
            with contextlib.suppress(TypeError, ValueError):
                return email.utils.parsedate_to_datetime(line[6:]).timestamp()
    return None


def stamps_of(output: str, paths: list[tuple[str, bool]]) -> tuple:
    """(inode, size, mtime_ns) of each file, or None: the memo's check that nothing else
    rewrote them since."""
    return stamps(output, (path for path, _ in paths))
