"""What the commands share: the `--config` option (one help, one default). Their exit statuses
are snapfront.base.errors'."""

from __future__ import annotations

import argparse

from snapfront.base.config import DEFAULT_PATH


def add_config_option(parser: argparse.ArgumentParser) -> None:
    """`--config FILE`, defaulting to the Debian package's file, so `snapfront check-config`
    on an installed host needs no argument; a missing file is the contract's one-line error."""
    parser.add_argument(
        "--config",
        default=DEFAULT_PATH,
        metavar="FILE",
        help=f"the snapfront.toml to read (default: {DEFAULT_PATH})",
    )
