"""Names a repository basedir shares between snapfront's incoming rule (conf/incoming) and the
code that processes uploads: the rule reprepro's `processincoming` is given, and the
directories it names, relative to the basedir (never served: rewrite_rules.names)."""

from __future__ import annotations

INCOMING_RULE = "snapfront"
INCOMING_DIR = "incoming"
TEMP_DIR = "tmp"
