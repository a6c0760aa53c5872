"""The two ways a serials command stops, with nothing written: refused (exit 2: the input is
wrong, e.g. a serial the server does not have) or failed (exit 1: the server could not be
asked, or answered something unusable; try again later)."""

from __future__ import annotations

EXIT_FAILED = 1
EXIT_REFUSED = 2


class SerialsError(Exception):
    exit_status = EXIT_FAILED


class Refused(SerialsError):
    exit_status = EXIT_REFUSED


class Failed(SerialsError):
    exit_status = EXIT_FAILED
