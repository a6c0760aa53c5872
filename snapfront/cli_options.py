"""What the commands share: the `--config` option (one help, one default), the one-line
complaint, the purge of what a command changed. Their exit statuses are snapfront.base.errors'."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable

from snapfront.base.config import DEFAULT_PATH, Config


def add_config_option(parser: argparse.ArgumentParser) -> None:
    """`--config FILE`, defaulting to the Debian package's file, so `snapfront check-config`
    on an installed host needs no argument; a missing file is the contract's one-line error."""
    parser.add_argument(
        "--config",
        default=DEFAULT_PATH,
        metavar="FILE",
        help=f"the snapfront.toml to read (default: {DEFAULT_PATH})",
    )


def complain(message: str, status: int) -> int:
    """`snapfront: MESSAGE` on stderr; `status`, for the command to return."""
    print(f"snapfront: {message}", file=sys.stderr)
    return status


def purge_changed(config: Config, paths: Iterable[str]) -> None:
    """Purge the data files a command changed from every [[cdn]] and wait for it (nothing
    without one)."""
    changed = tuple(sorted(set(paths)))
    if changed and config.cdns:
        from snapfront.purge import Changes, purge_now

        purge_now(config, Changes(data_paths=changed))
