"""One build under way: each mount's parts produced through one Writer, and what they came to.

`generator.build.Builder` keeps what outlives a build (caches, the archives as last read) and
drives a `Run` mount by mount; the Run keeps what one build collects: the outputs written,
counted and listed, the files pruned, and the parts a `stop` left for later. The Report is
made from it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from snapfront.rewrite_rules import Archive, Mount, Rules
from snapfront.rewrite_rules.front import generates_front

from .front import Linker, front_page
from .gather import expand, outputs
from .model import Feed, Page
from .pages import Output, Site, Trace
from .plan import Part, host_part
from .pool_pages import PoolRefresh
from .scope import owned, prune, redone
from .write import Writer

Write = Callable[[Writer, Output, bool], list[str]]
"""(writer, output, memo) -> the output files changed: the builder's memo-aware write."""
Stop = Callable[[], bool] | None


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
    changed: tuple[str, ...] = ()
    """Output files written or removed, relative to the output directory ("/"-separated)."""
    produced: tuple[str, ...] = ()
    """URLs of the pages, feeds and traces rendered (written or found unchanged)."""
    held_back: tuple[str, ...] = ()
    """Directories in which files still being written were left out (see pages.Site)."""
    unfinished: tuple[tuple[str, Part], ...] = ()
    """(mount URL, part) not produced because `stop` said so: the caller builds them later."""

    def summary(self) -> str:
        return (
            f"pages: {self.pages}, feeds: {self.feeds}, traces: {self.traces}; "
            f"files written: {self.written}, unchanged: {self.unchanged}, "
            f"removed: {self.removed}; hashed: {self.hashed}; {self.seconds:.2f} s"
        )


@dataclass
class Run:
    """One build's tools and its tally so far (a Report once it ends)."""

    rules: Rules
    site: Site
    writer: Writer
    pool: PoolRefresh | None
    """Lazy pool pages (generator.pool_pages); None in eager mode."""
    write: Write
    counts: dict[type, int] = field(default_factory=lambda: {Page: 0, Feed: 0, Trace: 0})
    changed: list[str] = field(default_factory=list)
    produced: list[str] = field(default_factory=list)
    removed: int = 0
    left: list[tuple[str, Part]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.linker = Linker(self.rules)

    def mount(self, mount: Mount, parts: Sequence[Part], stop: Stop, full: bool) -> None:
        """Produce one mount's parts, then (but in a full build, which prunes the whole
        output after) remove what the finished ones stood for and no longer produce."""
        if self.left:  # stopped in an earlier mount: all of this one waits
            self.left += [(mount.url, p) for p in parts]
            return
        archive = self.rules.archive(mount)
        todo = expand(mount, archive, self.site, parts)
        produce, again = todo, []
        if self.pool is not None:  # no walk of the pool: its kept pages, by their stamps
            produce, again, todo = self.pool.split(mount, todo, self.writer)
        work = [*produce, *again]
        stopped = self._produce(mount, archive, work, stop)
        if stopped is not None:
            done, rest = work[:stopped], work[stopped:]
            self.left += [(mount.url, p) for p in redone(done, rest) + rest]
            finished = set(done)  # prune only what was finished; the rest comes back
            todo = [p for p in todo if p in finished]
        seen = set(self.produced)
        if self.pool is not None:
            self.pool.written(seen)
        if not full:
            self.removed += prune(self.writer, self.rules, mount, todo, seen)

    def _produce(self, mount: Mount, archive: Archive, work: list[Part], stop: Stop) -> int | None:
        """Write the outputs of each part in turn; the index of the part under way when
        `stop` said so, else None."""
        for index, part in enumerate(work):
            for output in outputs(mount, archive, self.site, [part]):
                if owned(self.rules, mount, output):
                    memo = self.pool is None or output.url not in self.pool.pending
                    self._emit(self.linker.finish(output), memo)
                if stop is not None and stop():
                    return index
        return None

    def host(self, host: bool, first_mount: str) -> None:
        """The page at "/" when no mount is there (snapfront's own front page); after a stop,
        its part waits with the rest (under the first mount's URL)."""
        if host and self.left:
            self.left.append((first_mount, host_part()))
        elif host and generates_front(self.rules):
            self._emit(front_page(self.rules))

    def _emit(self, output: Output, memo: bool = True) -> None:
        self.changed += self.write(self.writer, output, memo)
        self.produced.append(output.url)
        self.counts[type(output)] += 1

    def report(self, seconds: float, hashed: int) -> Report:
        return Report(
            self.counts[Page],
            self.counts[Feed],
            self.counts[Trace],
            self.writer.written,
            self.writer.unchanged,
            self.removed,
            hashed,
            seconds,
            tuple(self.changed + self.writer.removed_paths),
            tuple(self.produced),
            tuple(sorted(self.site.held_back)),
            tuple(self.left),
        )
