"""A repository mount's rejected uploads, for its top page (kept under incoming/rejected/
by suites.uploads, never served themselves): what was sent, to which suite, and reprepro's
reason. The page is rebuilt when incoming/rejected/ changes (generator.plan)."""

from __future__ import annotations

from snapfront.rewrite_rules import Mount
from snapfront.suites.incoming_scan import rejected

from .model import UploadRow

SHOWN = 50
"""The newest rejections shown; `snapfront suite uploads` lists them all."""


def rejected_rows(mount: Mount) -> tuple[UploadRow, ...]:
    return tuple(
        UploadRow(r.changes, r.suite, r.source, r.version, r.reason, int(r.when), r.signed)
        for r in rejected(mount.root)[:SHOWN]
    )
