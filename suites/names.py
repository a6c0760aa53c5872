"""Names shared by the suite commands and the uploads half: the incoming rule, its
directories, snapfront's files under the basedir, and Git names → suite names. Pure."""

from __future__ import annotations

import enum
import re

INCOMING_RULE = "snapfront"
"""The `Name:` of snapfront's rule in conf/incoming: `reprepro processincoming snapfront`."""
INCOMING_DIR = "incoming"
"""Where uploads land (`IncomingDir:`), relative to the basedir."""
TEMP_DIR = "tmp"
"""processincoming's `TempDir:`, relative to the basedir."""
CONF_DIR = "snapfront"
"""Under conf/: snapfront's stanza files (suites.conf, incoming.conf) and suites.json."""
DISTRIBUTIONS_FILE = f"{CONF_DIR}/suites.conf"
INCOMING_FILE = f"{CONF_DIR}/incoming.conf"
MODEL_FILE = f"{CONF_DIR}/suites.json"
HISTORY_DIR = "db/snapfront-history"
"""Relative to the basedir: one JSON file per suite. In db/, beside the intent record: a
repository mount never serves conf/ db/ incoming/ logs/ tmp/ (everything else is served)."""
UNDO_SNAPSHOT = ".snapfront-undo"
"""The `gensnapshot` a change keeps of its suite until it is done: a hidden name, never served."""

MAIN_BRANCHES = ("stable", "testing", "devel")
MAIN_PREFIX = "feature-"
"""A branch named feature-SOMETHING (a hyphen, not feature/…) is a main branch too."""


class SuiteKind(enum.StrEnum):
    MAIN = "main"
    OVERLAY = "overlay"
    RELEASE = "release"
    OTHER = "other"


UPLOADABLE = frozenset({SuiteKind.MAIN, SuiteKind.OVERLAY})
"""Kinds whose suites accept uploads; a release's suite is read-only."""


def suite_name(ref: str) -> str:
    """Tails' branch_name_to_suite: every character but `.`, letters, digits and `-` becomes
    `-`, then lower case: `bugfix/12345-whatever` → `bugfix-12345-whatever`; a tag's `~` too."""
    return re.sub(r"[^.a-z0-9-]", "-", ref, flags=re.IGNORECASE).lower()


def branch_kind(branch: str, main: frozenset[str] = frozenset()) -> SuiteKind:
    """Main for stable, testing, devel, feature-* and the operator's `--main` names."""
    if branch in MAIN_BRANCHES or branch in main or branch.startswith(MAIN_PREFIX):
        return SuiteKind.MAIN
    return SuiteKind.OVERLAY
