"""`snapfront serials freeze|thaw|resolve DIR …` (README: Freeze and thaw): Tails' build-side
`config/APT_snapshots.d/ORIGIN/serial` files, against a remote snapshot host over HTTP.

Thin: parse, call serials.run, print. `--config` is accepted and ignored (as `demo` does):
these commands run on build machines and ask the snapshot host, never a local config. Exit 0
done; 1 failed (the host could not be asked, or answered nonsense); 2 refused (a bad DIR,
file or --except, a serial the host does not have), with one line `snapfront: …` on stderr
and nothing written.
"""

from __future__ import annotations

import argparse
import sys

from snapfront.base.errors import CommandError

CONFIG_HELP = "ignored: serials ask the snapshot host over HTTP"


def add_parser(commands: argparse._SubParsersAction) -> None:
    summary = "freeze, thaw and resolve Tails' APT_snapshots.d/ORIGIN/serial files"
    group = commands.add_parser("serials", help=summary, description=summary)
    sub = group.add_subparsers(dest="serials_command", required=True, metavar="ACTION")

    def action(name: str, text: str, remote: bool) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, help=text, description=text)
        parser.add_argument("--config", metavar="FILE", help=CONFIG_HELP)
        parser.add_argument("dir", metavar="DIR", help="e.g. config/APT_snapshots.d")
        if remote:
            parser.add_argument(
                "--from", dest="url", required=True, metavar="URL", help="the snapshot host"
            )
        parser.set_defaults(func=run)
        return parser

    freeze = action("freeze", "write each origin's newest serial (its trace's)", True)
    freeze.add_argument(
        "--except", dest="excepted", action="extend", nargs="+", default=[], metavar="ORIGIN",
        help="origins set to latest instead (e.g. debian-security)",
    )  # fmt: skip
    action("thaw", "write latest for every origin", False)
    resolve = action("resolve", "print ORIGIN: SERIAL with latest resolved once", True)
    resolve.add_argument("--json", action="store_true", help='{"origin": "serial"}')
    resolve.add_argument(
        "--codename", dest="codenames", action="append", default=[], metavar="[ORIGIN=]CODENAME",
        help="the codename whose Release confirms a frozen serial (default: stable)",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from snapfront.serials import run as commands

    try:
        if args.serials_command == "freeze":
            text = commands.freeze(args.dir, args.url, args.excepted)
        elif args.serials_command == "thaw":
            text = commands.thaw(args.dir)
        else:
            text = commands.resolve(args.dir, args.url, args.json, args.codenames)
    except CommandError as exc:
        print(f"snapfront: {exc}", file=sys.stderr)
        return exc.exit_status
    sys.stdout.write(text)
    return 0
