"""The host's front page, `/`, when no mount sits there: snapfront generates it (every mount,
its kind, keyring and newest serial: generator.front) and serves it from the output directory.

It answers as a pseudo-mount: kind `files`, rooted at the output directory, holding only the
generated `index.html` and `index.json` (nothing under a data root is ever served through it).
With a mount at `/`, that mount's own page is the front page and none of this applies.
"""

from __future__ import annotations

from .context import Rules
from .model import CacheClass, Mount, MountKind, Source, Target
from .names import INDEX_PAGE, PAGE_FILES

FRONT_URL = "/"
FRONT_NAMES = PAGE_FILES
"""The files of the generated front page, answered at /index.html and /index.json."""


def generates_front(rules: Rules) -> bool:
    """True when no mount is at `/`, so snapfront's own front page answers there."""
    return all(mount.url != FRONT_URL for mount in rules.mounts)


def front_mount(rules: Rules) -> Mount:
    return Mount(FRONT_URL, MountKind.FILES, rules.output, "front")


def resolve_front(rules: Rules, segments: tuple[str, ...], trailing: bool) -> Target | None:
    """`/`, `/index.html` or `/index.json` of the generated front page; None for anything else."""
    if not generates_front(rules):
        return None
    if not segments:
        source = Source(rules.output, INDEX_PAGE, generated=True)
        return Target(front_mount(rules), (source,), CacheClass.VOLATILE, directory=True)
    if len(segments) == 1 and segments[0] in FRONT_NAMES and not trailing:
        source = Source(rules.output, segments[0], generated=True)
        return Target(front_mount(rules), (source,), CacheClass.VOLATILE)
    return None
