"""How a lifecycle command ends (README: Snapshot lifecycle): exit 0 done, 1 failed and rolled
back, 2 refused (usage, config, missing tool) with nothing changed."""

from __future__ import annotations

EXIT_FAILED = 1
EXIT_REFUSED = 2


class Refused(Exception):
    """Nothing was changed: a bad argument, an unknown serial, a missing key or tool."""

    exit_status = EXIT_REFUSED


class Failed(Exception):
    """Something failed half-way; what was changed has been put back as it was."""

    exit_status = EXIT_FAILED
