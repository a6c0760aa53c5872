"""What resolving one URL works with: the rules (mounts, archives, output) and, per request,
the context its kind's rules read (the mount, the segments, the clock)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import quote, unquote

from .model import Archive, CacheClass, Miss, MissReason, Mount, Source, Target
from .names import INDEX_PAGE, TRACE_DIR


@dataclass(frozen=True)
class Redirect:
    """A permanent redirect to a canonical URL path (already percent-encoded where needed)."""

    location: str
    status: int = 301
    """301, except 302 for a timestamp's directory: its serial changes as snapshots come."""


@dataclass(frozen=True)
class Rules:
    """Everything resolving needs: the mounts, what is known of their archives, the output dir.

    `static`: snapfront's own site/static/ (resolved), served at /-/static/; "" serves none."""

    mounts: Sequence[Mount]
    output: str
    archives: Mapping[str, Archive] = field(default_factory=dict)
    static: str = ""

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.mounts, key=lambda m: len(m.url), reverse=True))
        object.__setattr__(self, "mounts", ordered)

    def archive(self, mount: Mount) -> Archive:
        return self.archives.get(mount.url, Archive())

    def with_archives(self, archives: Mapping[str, Archive]) -> Rules:
        """These rules with fresher knowledge of the archives; nothing else changes."""
        return replace(self, archives=archives)


Resolution = Target | Miss | Redirect


def mount_segments(mount: Mount) -> tuple[str, ...]:
    inner = mount.url.strip("/")
    return tuple(inner.split("/")) if inner else ()


def match_mount(rules: Rules, segments: tuple[str, ...]) -> Mount | None:
    """The mount with the longest URL prefix that covers `segments`."""
    for mount in rules.mounts:
        prefix = mount_segments(mount)
        if segments[: len(prefix)] == prefix:
            return mount
    return None


@dataclass(frozen=True)
class Context:
    rules: Rules
    mount: Mount
    segments: tuple[str, ...]
    rest: tuple[str, ...]
    trailing: bool
    now: float | None = None

    def page(self) -> Target:
        """The generated page of this directory URL."""
        rel = "/".join((*self.segments, INDEX_PAGE))
        source = Source(self.rules.output, rel, generated=True)
        return Target(self.mount, (source,), CacheClass.VOLATILE, directory=True)

    def data(self, relpath: Sequence[str], cache: CacheClass) -> Target:
        return Target(self.mount, (self.rooted(relpath),), cache)

    def rooted(self, relpath: Sequence[str]) -> Source:
        """A data file under the mount's root: confined to what the mount serves."""
        return Source(self.mount.root, "/".join(relpath), confined=True)

    def generated(self, fallback: bool) -> Target:
        """index.html, index.json, feed.atom: the generator's file, else (where URL and disk
        agree) one that lives in the root."""
        sources = [Source(self.rules.output, "/".join(self.segments), generated=True)]
        if fallback:
            sources.append(self.rooted(self.rest))
        return Target(self.mount, tuple(sources), CacheClass.VOLATILE)

    def checksums(self) -> Target:
        """SHA256SUMS of a files mount's directory: the release manager's own file in the root
        first, the generated one second (the generator writes none beside theirs)."""
        generated = Source(self.rules.output, "/".join(self.segments), generated=True)
        return Target(self.mount, (self.rooted(self.rest), generated), CacheClass.VOLATILE)

    def trace(self, name: str) -> Target:
        """Generated trace first; one that another tool wrote under the root second."""
        generated = Source(self.rules.output, "/".join(self.segments), generated=True)
        fallback = self.rooted((*TRACE_DIR, name))
        return Target(self.mount, (generated, fallback), CacheClass.VOLATILE)

    def miss(self, reason: MissReason, message: str) -> Miss:
        return Miss(reason, message, self.mount)


def url(segments: Sequence[str], trailing: bool) -> str:
    path = "/" + "/".join(quote(seg, safe="+~@:,=") for seg in segments)
    return path + "/" if trailing and segments else path


def ancestors(path: str) -> tuple[tuple[str, str], ...]:
    """(label, URL) of "/" and of each directory along a percent-encoded URL path, down to
    its own: what breadcrumbs show (labels decoded) and link to (as `path` spells them)."""
    parts = [p for p in path.strip("/").split("/") if p]
    found = [("/", "/")]
    for depth, part in enumerate(parts, 1):
        found.append((unquote(part), "/" + "/".join(parts[:depth]) + "/"))
    return tuple(found)
