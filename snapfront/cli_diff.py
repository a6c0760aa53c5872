"""`snapfront diff MOUNT_URL A B` and `snapfront history MOUNT_URL PACKAGE` (README: What changed).

Only argument parsing: the commands are diffs.commands. A config error, an unknown mount,
serial or suite is one line `snapfront: …`, exit 2. `diff` exits 0 once it has compared, or
1 with `--fail-on-downgrade` when a package would go backwards; `history` exits 1 when the
package is in no serial.
"""

from __future__ import annotations

import argparse
import sys

from snapfront.base.config import ConfigError, load
from snapfront.base.errors import EXIT_REFUSED, Refused
from snapfront.cli_options import add_config_option
from snapfront.cli_snapshot import find_mount
from snapfront.privileges import as_output_owner
from snapfront.rewrite_rules import MountKind


def add_parser(commands: argparse._SubParsersAction) -> None:
    text = "what changed between two serials of a snapshots mount, or two suites of a repository"
    diff = commands.add_parser("diff", help=text, description=text)
    add_config_option(diff)
    diff.add_argument("mount", metavar="MOUNT_URL", help="e.g. /debian/")
    diff.add_argument("a", metavar="A", help="the older serial, or the suite B would replace")
    diff.add_argument("b", metavar="B", help="the newer serial, or the suite replacing A")
    diff.add_argument("--json", action="store_true", help="for scripts")
    diff.add_argument(
        "--fail-on-downgrade", action="store_true", help="exit 1 when a package would go backwards"
    )
    diff.set_defaults(func=_diff)
    text = "the versions of a binary or source package in every serial of a snapshots mount"
    history = commands.add_parser("history", help=text, description=text)
    add_config_option(history)
    history.add_argument("mount", metavar="MOUNT_URL", help="e.g. /debian/")
    history.add_argument("package", metavar="PACKAGE")
    history.add_argument("--json", action="store_true", help="for scripts")
    history.set_defaults(func=_history)


def _diff(args: argparse.Namespace) -> int:
    from snapfront.diffs.commands import diff

    kinds = (MountKind.SNAPSHOTS, MountKind.REPOSITORY)
    return _run(args, kinds, lambda c, m: diff(c, m, args.a, args.b, args.json,
                                                args.fail_on_downgrade))  # fmt: skip


def _history(args: argparse.Namespace) -> int:
    from snapfront.diffs.commands import history

    run = _run(args, (MountKind.SNAPSHOTS,), lambda c, m: history(c, m, args.package, args.json))
    if run == 1:
        print(f"snapfront: {args.mount}: {args.package} is in no serial", file=sys.stderr)
    return run


def _run(args: argparse.Namespace, kinds, command) -> int:
    try:
        config = load(args.config)
        mount = find_mount(config, args.mount, kinds)
        as_output_owner(config)  # parsed indexes are cached under the output
        status, text = command(config, mount)
    except (ConfigError, Refused) as exc:
        print(f"snapfront: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    sys.stdout.write(text)
    return status
