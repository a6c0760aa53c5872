"""What `check-config` warns about: a config that loads but will not serve what its author
meant. Warnings, not errors (exit 0): a root may legitimately be filled after the config."""

from __future__ import annotations

import os
from collections.abc import Iterator

from snapfront.base.config import Config
from snapfront.rewrite_rules import Mount, MountKind
from snapfront.rewrite_rules.resolve import DISTS

_BASEDIR_KINDS = (MountKind.SNAPSHOTS, MountKind.REPOSITORY, MountKind.TAGGED)


def warnings(config: Config) -> Iterator[str]:
    """One line per problem: `snapfront: FILE: warning: mount[N]: problem`."""
    for index, mount in enumerate(config.mounts):
        for problem in _problems(mount):
            yield f"snapfront: {config.path}: warning: mount[{index}]: {problem}"


def _problems(mount: Mount) -> Iterator[str]:
    shadowed = os.path.join(mount.root, "-")
    if mount.url == "/" and os.path.lexists(shadowed):
        yield f"{shadowed} is never served: /-/ is snapfront's own URL space"
    if mount.kind not in _BASEDIR_KINDS:
        return
    basedirs = [mount.root] if mount.kind is not MountKind.TAGGED else _tagged(mount.root)
    if not basedirs:
        yield f"{mount.root} holds no TAG/ARCHIVE directory (a tagged mount's layout)"
    for basedir in basedirs:
        conf = os.path.join(basedir, "conf", "distributions")
        if not os.path.exists(conf) and not os.path.isdir(os.path.join(basedir, DISTS)):
            yield (
                f"{basedir} has neither conf/distributions nor {DISTS}/: "
                f"not a reprepro basedir or outdir (a wrong root?)"
            )


def _tagged(root: str) -> list[str]:
    """ROOT/TAG/ARCHIVE: the reprepro basedir of each tag and archive."""
    return [
        os.path.join(root, tag, archive)
        for tag in _dirs(root)
        for archive in _dirs(os.path.join(root, tag))
    ]


def _dirs(path: str) -> list[str]:
    try:
        return sorted(e.name for e in os.scandir(path) if e.is_dir() and e.name[0] != ".")
    except OSError:
        return []
