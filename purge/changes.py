"""What one change did, as the purger needs it: the files, and the archives before and after.

Whoever made the change already read the archives (the watcher's Builder, a snapshot command
before and after it acted), so they travel with it: the purger maps the files to URLs with
rules that know every codename and serial of either side (the URLs of a removed snapshot
are purged too) and never reads the basedir itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from snapfront.rewrite_rules import Archive


@dataclass(frozen=True)
class Changes:
    """One batch of the watcher (or rescan), or what one command changed.

    `data_paths`: absolute paths under the mounts' roots (or a keyring) that were created,
    written, deleted or moved, sorted; empty after a rescan, which cannot say. A data file's
    own URL may need purging even when no page changed (an InRelease of a repository mount).
    `output_paths`: generated files written or removed, relative to the output directory and
    "/"-separated (`debian/index.html`, `debian/project/trace/debian`, the .br/.gz variants
    of a removed page); a written page's `.br` and `.gz` variants changed with it.
    `before`, `after`: mount URL → the snapshots mount's codenames and serials before and
    after the change (`basedir.inventory`); a mount the change did not touch may be left out,
    and `before` is empty when nobody knew (a first build).
    """

    data_paths: tuple[str, ...] = ()
    output_paths: tuple[str, ...] = ()
    before: Mapping[str, Archive] = field(default_factory=dict)
    after: Mapping[str, Archive] = field(default_factory=dict)
