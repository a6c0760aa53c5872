"""`snapshot bump` and `snapshot resign` (branch lifecycle-sign replaces these stubs)."""

from __future__ import annotations

from collections.abc import Sequence

from rewrite_rules import Mount
from snapfront.config import Config

from .errors import Refused
from .outcome import Outcome


def bump(
    config: Config, mount: Mount, serials: Sequence[str], days: int, gnupghome: str | None
) -> Outcome:
    raise Refused("not implemented yet")


def resign(
    config: Config, mount: Mount, serials: Sequence[str] | None, gnupghome: str | None
) -> Outcome:
    raise Refused("not implemented yet")
