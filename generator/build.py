"""Render every mount of a config into the output directory: gather, render, write.

Pages are gathered per mount (generator.pages), rendered (generator.render) and handed to the
one Writer, which skips unchanged bytes; a page whose URL belongs to another mount (the
longest prefix wins, as in rewrite_rules) is not written.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import unquote

from rewrite_rules import Mount, Rules
from rewrite_rules.resolve import INDEX_PAGE, match_mount
from snapfront import __version__
from snapfront.config import Config
from snapfront.inventory import read_inventory

from .hashes import HashCache
from .model import Feed, Page
from .pages import Output, Site, Trace, mount_outputs
from .render import page_json, render_feed, render_page
from .write import Writer

INDEX_JSON = "index.json"


@dataclass(frozen=True)
class Report:
    pages: int
    feeds: int
    traces: int
    written: int
    unchanged: int
    removed: int
    hashed: int
    seconds: float

    def summary(self) -> str:
        return (
            f"pages: {self.pages}, feeds: {self.feeds}, traces: {self.traces}; "
            f"files written: {self.written}, unchanged: {self.unchanged}, "
            f"removed: {self.removed}; hashed: {self.hashed}; {self.seconds:.2f} s"
        )


def build(config: Config, now: float | None = None) -> Report:
    """A full build: every page, feed and trace of every mount; stale ones removed."""
    started = time.monotonic()
    hashes = HashCache(config.output)
    site = Site(config.public_url, time.time() if now is None else now, hashes, __version__)
    rules = Rules(config.mounts, config.output, read_inventory(config.mounts))
    writer = Writer(config.output)
    counts = {Page: 0, Feed: 0, Trace: 0}
    for mount in config.mounts:
        for output in mount_outputs(mount, rules.archive(mount), site):
            if _owned(rules, mount, output):
                write_output(writer, output)
                counts[type(output)] += 1
    hashes.save()
    removed = writer.prune(m.url for m in config.mounts)
    return Report(
        counts[Page],
        counts[Feed],
        counts[Trace],
        writer.written,
        writer.unchanged,
        removed,
        hashes.hashed,
        time.monotonic() - started,
    )


def write_output(writer: Writer, output: Output) -> None:
    if isinstance(output, Page):
        folder = unquote(output.url).lstrip("/")
        writer.write(folder + INDEX_PAGE, render_page(output).encode())
        writer.write(folder + INDEX_JSON, page_json(output).encode())
    elif isinstance(output, Feed):
        writer.write(unquote(output.url).lstrip("/"), render_feed(output).encode())
    else:
        writer.write(unquote(output.url).lstrip("/"), output.text.encode(), compress=False)


def _owned(rules: Rules, mount: Mount, output: Output) -> bool:
    segments = tuple(s for s in unquote(output.url).split("/") if s)
    return match_mount(rules, segments) is mount
