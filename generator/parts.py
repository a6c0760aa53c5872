"""The plan's values: a `Part` of a mount's output, its kinds, and the `Change` the watcher
heard. Pure: no I/O.

A `Part` names one regenerable piece of a mount's output by the data it is made from (`path`,
relative to the mount's root) and by the URL it is served at (`url`, where a part's pages live
and, for trees, the prefix under which pages that no longer have data are pruned):

    PAGE  one directory's page             TREE      a directory's page and every page below
    FEED  a files mount's top-level feed   SERIAL    /P/SERIAL/ and everything under it
    TRACE project/trace/NAME and its page  CODENAMES re-read conf/distributions and follow it
    LIVE  a snapshots mount's live dists/ pages (/P/dists/ and below, never snapshots/)
    MOUNT everything the mount has (its root came back, or nothing narrower is known)
    HOST  the host's front page at "/" (every mount's newest serial: generator.front)

The `*_part` functions build the parts that the plan (generator.plan) and the page producers
(generator.*_pages) both name, so the two agree on each part's path and URL.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from urllib.parse import quote

from snapfront.rewrite_rules import Mount
from snapfront.rewrite_rules.names import CHANGES, DISTS, FEED_NAME, POOL, TRACE_DIR


class PartKind(enum.StrEnum):
    PAGE = "page"
    TREE = "tree"
    FEED = "feed"
    SERIAL = "serial"
    TRACE = "trace"
    CODENAMES = "codenames"
    LIVE = "live"
    MOUNT = "mount"
    HOST = "host"


@dataclass(frozen=True, order=True)
class Part:
    kind: PartKind
    path: str = ""  # data directory (relative to the root), or the serial for SERIAL
    url: str = ""  # URL path of the page (ending in "/"), feed or trace file
    serial: str = ""  # set for pages inside a snapshot serial, so SERIAL covers them


@dataclass(frozen=True)
class Change:
    """One thing the watcher heard: `rel` (relative to the root, "/"-separated) changed."""

    rel: str
    is_dir: bool
    structural: bool  # created, deleted or moved, as opposed to written or touched


def page_url(mount: Mount, rel: str) -> str:
    """The URL of the page of data directory `rel` for the kinds whose URLs mirror the disk."""
    return mount.url + (quote(rel) + "/" if rel else "")


def feed_part(mount: Mount, top: str) -> Part:
    """The Atom feed of a files mount's top-level directory `top`."""
    return Part(PartKind.FEED, top, page_url(mount, top) + FEED_NAME)


def front_part(mount: Mount) -> Part:
    return Part(PartKind.PAGE, "", mount.url)


def trace_part(mount: Mount) -> Part:
    """A snapshots mount's trace file (and the project/trace/ page that lists it)."""
    return Part(PartKind.TRACE, "", f"{mount.url}{'/'.join(TRACE_DIR)}/{mount.trace}")


def serial_part(mount: Mount, serial: str) -> Part:
    return Part(PartKind.SERIAL, serial, f"{mount.url}{serial}/")


def changes_part(mount: Mount, serial: str) -> Part:
    """/P/SERIAL/changes/ alone (a SERIAL part produces it too)."""
    return Part(PartKind.PAGE, CHANGES, f"{mount.url}{serial}/{CHANGES}/", serial)


def pool_part(mount: Mount) -> Part:
    return Part(PartKind.TREE, POOL, f"{mount.url}{POOL}/")


def live_part(mount: Mount) -> Part:
    """Every page of the live archive: a few dozen at most, rebuilt together."""
    return Part(PartKind.LIVE, DISTS, f"{mount.url}{DISTS}/")


def mount_part(mount: Mount) -> Part:
    return Part(PartKind.MOUNT, "", mount.url)


def host_part() -> Part:
    """The page at "/", whichever mount (or none) it belongs to: it lists the newest serials."""
    return Part(PartKind.HOST, "", "/")
