"""The reprepro configuration snapfront owns for the suites it creates, and how it is joined
to the operator's.

Under the basedir's `conf/snapfront/` (conf/ is never served):

- `suites.json`: the model, one entry per suite snapfront created (kind, Git ref, stanza
  fields); the two files below are rendered from it, so a re-run writes them again;
- `suites.conf`: one reprepro stanza per suite, read through the single line
  `!include: snapfront/suites.conf` that `suite sync` adds once to `conf/distributions`;
- `incoming.conf`: one processincoming rule, read through `!include: snapfront/incoming.conf`
  in `conf/incoming` (created when missing):

      Name: snapfront              (names.INCOMING_RULE)
      IncomingDir: incoming        (names.INCOMING_DIR, relative to the basedir)
      TempDir: tmp                 (names.TEMP_DIR, relative to the basedir)
      Allow: stable devel bugfix-12345-whatever …

  `Allow:` lists every suite that accepts uploads (main and overlay suites, never a
  release's); no `Cleanup:` (the uploads half moves a rejected upload aside itself).

The operator's stanzas are never rewritten: only the include lines are appended. A new
suite's fields come from a template stanza of the operator's (`--template CODENAME`): every
field but those naming or describing that one distribution (TEMPLATE_SKIPPED).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from snapfront.base.atomic import atomic_write

from .names import (
    DISTRIBUTIONS_FILE,
    INCOMING_DIR,
    INCOMING_FILE,
    INCOMING_RULE,
    MODEL_FILE,
    TEMP_DIR,
    UPLOADABLE,
    SuiteKind,
)

TEMPLATE_SKIPPED = frozenset(
    {"Codename", "Suite", "AlsoAcceptFor", "Description", "Version", "Update", "Pull", "Log"}
)


@dataclass(frozen=True)
class SuiteEntry:
    """One suite snapfront created: `ref` the Git branch or tag it stands for."""

    name: str
    kind: SuiteKind
    ref: str
    fields: Mapping[str, str] = field(default_factory=dict)


def from_template(template: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in template.items() if k not in TEMPLATE_SKIPPED}


def render_distributions(entries: Mapping[str, SuiteEntry]) -> bytes:
    stanzas = []
    for name in sorted(entries):
        entry = entries[name]
        lines = [f"Codename: {name}"]
        lines += [f"{k}: {v}" for k, v in entry.fields.items()]
        lines.append(f"Description: {entry.kind.value} suite of {entry.ref} (snapfront suite sync)")
        stanzas.append("\n".join(lines) + "\n")
    head = "# Written by `snapfront suite sync` from suites.json: edits are overwritten.\n\n"
    return (head + "\n".join(stanzas)).encode()


def render_incoming(entries: Mapping[str, SuiteEntry]) -> bytes:
    allow = sorted(name for name, e in entries.items() if e.kind in UPLOADABLE)
    head = "# Written by `snapfront suite sync`: edits are overwritten.\n"
    if not allow:
        return (head + "# (no suite accepts uploads yet)\n").encode()
    rule = (
        f"Name: {INCOMING_RULE}\nIncomingDir: {INCOMING_DIR}\nTempDir: {TEMP_DIR}\n"
        f"Allow: {' '.join(allow)}\n"
    )
    return (head + "\n" + rule).encode()


def with_include(current: bytes | None, target: str) -> bytes | None:
    """The operator's file with `!include: TARGET` appended; None when it is there already."""
    text = (current or b"").decode("utf-8", "replace")
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "!include" and value.strip() == target:
            return None
    sep = "" if not text or text.endswith("\n\n") else "\n" if text.endswith("\n") else "\n\n"
    return (text + sep + f"!include: {target}\n").encode()


def encode_model(entries: Mapping[str, SuiteEntry]) -> bytes:
    data = {
        name: {"kind": e.kind.value, "ref": e.ref, "fields": dict(e.fields)}
        for name, e in sorted(entries.items())
    }
    return (json.dumps({"suites": data}, indent=1) + "\n").encode()


def decode_model(data: bytes) -> dict[str, SuiteEntry]:
    suites = json.loads(data).get("suites", {})
    return {
        name: SuiteEntry(name, SuiteKind(v["kind"]), str(v["ref"]), dict(v.get("fields", {})))
        for name, v in suites.items()
    }


# --- the edge: reading and writing them under a basedir ------------------------------------


def conf_path(root: str, rel: str) -> str:
    return os.path.join(root, "conf", rel)


def read_model(root: str) -> dict[str, SuiteEntry]:
    try:
        with open(conf_path(root, MODEL_FILE), "rb") as fh:
            return decode_model(fh.read())
    except FileNotFoundError:
        return {}


def read_bytes(path: str) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        return None


def planned_files(root: str, entries: Mapping[str, SuiteEntry]) -> dict[str, bytes]:
    """Path → new bytes of every file a sync writes (only those that change)."""
    wanted = {
        conf_path(root, MODEL_FILE): encode_model(entries),
        conf_path(root, DISTRIBUTIONS_FILE): render_distributions(entries),
        conf_path(root, INCOMING_FILE): render_incoming(entries),
    }
    for operator, target in (("distributions", DISTRIBUTIONS_FILE), ("incoming", INCOMING_FILE)):
        path = conf_path(root, operator)
        joined = with_include(read_bytes(path), target)
        if joined is not None:
            wanted[path] = joined
    return {path: data for path, data in wanted.items() if read_bytes(path) != data}


def write_files(files: Mapping[str, bytes | None]) -> None:
    """Write (or, for None, remove) each file atomically; the model first, by the caller's order."""
    for path, data in files.items():
        if data is None:
            if os.path.lexists(path):
                os.unlink(path)
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        atomic_write(path, data, durable=True)
