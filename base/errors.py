"""How every snapfront command ends, one module for all of them: exit 0 done; 1 failed (what
was changed has been put back, or a remote host could not be asked); 2 refused (a bad config,
option or argument, an unknown serial, a missing tool) with nothing changed. Either way one
line `snapfront: …` on stderr. The capabilities raise these; the command line prints them."""

from __future__ import annotations

EXIT_FAILED = 1
EXIT_REFUSED = 2
EXIT_CONFIG = EXIT_REFUSED
"""A bad config or option is a refusal: one line on stderr, nothing written."""


class CommandError(Exception):
    """A command stops: `exit_status` is what the process exits with."""

    exit_status = EXIT_FAILED


class Refused(CommandError):
    """Nothing was changed: a bad argument, an unknown serial, a missing key or tool."""

    exit_status = EXIT_REFUSED


class Failed(CommandError):
    """Something failed half-way (what was changed has been put back as it was), or a remote
    host could not be asked or answered something unusable: try again later."""

    exit_status = EXIT_FAILED
