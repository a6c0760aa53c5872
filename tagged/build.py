"""Build one origin's part of a tag with reprepro: write its conf/ (tagged.conf), then
`reprepro update` pulls exactly the filtered packages from the time-based snapshot through a
`file://` method (on the same filesystem reprepro hard-links the pool files: the tag's pool is
its own all the same, and survives the snapshot's garbage collection) and exports the signed
indexes. No ValidFor: the tag's Release files have no Valid-Until."""

from __future__ import annotations

import os
import shutil

from snapfront.base.atomic import atomic_write
from snapfront.basedir import tools

from .conf import conf_files
from .origins import Origin, signing_key
from .plan import OriginPlan


def planned_conf(origin: Origin, plan: OriginPlan, sign_with: str | None) -> dict[str, str]:
    """The files of conf/ for `plan`; Refused when a codename has no key to sign with."""
    codenames = [suite.codename for suite in plan.suites]
    keys = {c: signing_key(origin, c, sign_with) for c in codenames}
    verify = {c: origin.verify_release(c) for c in codenames}
    fields = {s.codename: {"Origin": s.origin, "Label": s.label} for s in origin.suites}
    return conf_files(plan, origin.root, keys, verify, fields)


def build_origin(basedir: str, conf: dict[str, str], gnupghome: str | None) -> None:
    """Make the reprepro basedir `basedir` from `conf`; ToolError when reprepro fails."""
    for rel, text in conf.items():
        atomic_write(os.path.join(basedir, rel), text.encode())
    tools.reprepro(basedir, "update", gnupghome=gnupghome)
    shutil.rmtree(os.path.join(basedir, "lists"), ignore_errors=True)  # reprepro's download cache
