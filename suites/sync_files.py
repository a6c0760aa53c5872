"""`suite sync`'s changes on disk: snapfront's conf files (suites.conf_files) written, the
include lines added, incoming/ and tmp/ made, and `reprepro export` of the new suites (their
dists/ appear, signed, so APT can use them before the first upload).

Under an intent record (operation `suite-sync`) holding every file's previous bytes: a
failure, or the next command after a kill, puts them back and removes the new suites' dists/.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping

from snapfront.base.errors import Failed, Refused
from snapfront.basedir import tools
from snapfront.basedir.intent import Intent
from snapfront.basedir.inventory import distribution_stanzas
from snapfront.lifecycle.intent import Unresolved, recorded
from snapfront.lifecycle.repo import Repo, first_line, tree_files

from .conf_files import SuiteEntry, from_template, planned_files, read_model, write_files
from .names import INCOMING_DIR, TEMP_DIR
from .sync_plan import SyncPlan

SYNC = "suite-sync"


def template_fields(root: str, template: str | None) -> dict[str, str]:
    """The fields a new suite takes from the operator's stanza `template`; Refused without."""
    if not template:
        raise Refused("creating suites needs --template CODENAME (a stanza to copy defaults from)")
    for stanza in distribution_stanzas(root):
        if stanza.get("Codename", "").strip() == template:
            return from_template({k: v.strip() for k, v in stanza.items()})
    raise Refused(f"--template {template}: no such Codename in conf/distributions")


def new_entries(root: str, plan: SyncPlan, fields: Mapping[str, str]) -> dict[str, SuiteEntry]:
    entries = read_model(root)
    for want in plan.create:
        entries[want.name] = SuiteEntry(want.name, want.kind, want.ref, dict(fields))
    return entries


def apply_sync(repo: Repo, entries: Mapping[str, SuiteEntry], created: list[str]) -> list[str]:
    """Write the files and export the new suites; Failed (all as it was) when that fails.
    The files of the new suites' dists/, for the purge."""
    files = planned_files(repo.root, entries)
    old = {path: _text(path) for path in files}
    data = {"files": {os.path.relpath(p, repo.root): t for p, t in old.items()},
            "created": created}  # fmt: skip
    with recorded(repo.root, SYNC, created, data) as intent:
        try:
            write_files(files)
            for folder in (INCOMING_DIR, TEMP_DIR):
                os.makedirs(os.path.join(repo.root, folder), exist_ok=True)
            if created:
                repo.reprepro("export", *created)
        except (tools.ToolError, OSError) as exc:
            try:
                roll_back(repo.root, intent)
            except OSError as again:
                raise Unresolved(f"sync failed and could not be undone: {again}") from None
            raise Failed(
                f"sync failed, the configuration is as it was: {first_line(exc)}"
            ) from None
    return [f for name in created for f in tree_files(os.path.join(repo.root, "dists", name))]


def roll_back(root: str, intent: Intent) -> list[str]:
    """Every file as it was before (removed when it was not there), the new suites' dists/
    removed; the files removed."""
    old = {
        os.path.join(root, rel): None if text is None else text.encode("utf-8", "surrogateescape")
        for rel, text in intent.data["files"].items()
    }
    if any(os.path.isabs(rel) or ".." in rel.split("/") for rel in intent.data["files"]):
        raise ValueError("a file outside the basedir")
    write_files(old)
    removed = []
    for name in intent.data.get("created", ()):
        top = os.path.join(root, "dists", str(name))
        if "/" in str(name) or not os.path.isdir(top):
            continue
        removed += tree_files(top)
        shutil.rmtree(top)
    return removed


def _text(path: str) -> str | None:
    try:
        with open(path, "rb") as fh:
            return fh.read().decode("utf-8", "surrogateescape")
    except FileNotFoundError:
        return None
