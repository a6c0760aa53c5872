"""`snapfront tagged create|verify|list MOUNT_URL …`: tagged snapshots from build manifests.

Thin, as cli_snapshot: find the tagged mount, become its root's owner when run as root
(create writes there), check the tools, call snapfront.tagged, print its lines, purge what it
created from every [[cdn]]. Exit 0 done, 1 failed (nothing published), 2 refused.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from snapfront.base.config import ConfigError, load
from snapfront.base.errors import EXIT_FAILED, EXIT_REFUSED, CommandError
from snapfront.basedir.release import GpgvMissing
from snapfront.basedir.tools import MissingTool, ToolError, require
from snapfront.cli_options import add_config_option, complain, purge_changed
from snapfront.cli_snapshot import become_basedir_owner, find_mount
from snapfront.lifecycle.outcome import Outcome
from snapfront.lifecycle.repo import first_line
from snapfront.rewrite_rules import Mount, MountKind

Action = Callable[[argparse.Namespace, Mount, tuple[Mount, ...]], Outcome]


def add_parser(commands: argparse._SubParsersAction) -> None:
    summary = "make, check and list the tagged snapshots of a build manifest"
    group = commands.add_parser("tagged", help=summary, description=summary)
    sub = group.add_subparsers(dest="tagged_command", required=True, metavar="ACTION")

    def action(name: str, func: Action, text: str, writes: bool) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, help=text, description=text)
        add_config_option(parser)
        parser.add_argument("mount", metavar="MOUNT_URL", help="the tagged mount, e.g. /tagged/")
        parser.set_defaults(func=lambda args: run(args, func, writes))
        return parser

    text = "pull a manifest's packages from the time-based snapshots into MOUNT_URL/TAG/"
    create = action("create", _create, text, writes=True)
    create.add_argument("tag", metavar="TAG")
    create.add_argument("manifest", metavar="MANIFEST", help="the build manifest (YAML)")
    create.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    create.add_argument(
        "--allow-missing", metavar="REASON", help="publish without entries found in no origin"
    )
    create.add_argument("--sign-with", metavar="KEY", help="default: each origin's SignWith")
    create.add_argument("--gnupghome", metavar="DIR", help="default: $GNUPGHOME")
    verify = action("verify", _verify, "re-check a published tag against a manifest", False)
    verify.add_argument("tag", metavar="TAG")
    verify.add_argument("manifest", metavar="MANIFEST")
    listing = action("list", _list, "tags, their origins, serials, packages and size", False)
    listing.add_argument("--json", action="store_true")


def run(args: argparse.Namespace, func: Action, writes: bool) -> int:
    try:
        config = load(args.config)
        mount = find_mount(config, args.mount, (MountKind.TAGGED,))
        if writes and not args.dry_run:
            become_basedir_owner(args, config, mount)
        require(*(("reprepro", "gpg") if writes else ()), *(("gpgv",) if mount.keyring else ()))
        outcome = func(args, mount, config.mounts)
    except (ConfigError, MissingTool, GpgvMissing) as exc:
        return complain(str(exc), EXIT_REFUSED)
    except CommandError as exc:
        for line in getattr(exc, "lines", ()):
            print(line)
        sys.stdout.flush()
        return complain(str(exc), exc.exit_status)
    except ToolError as exc:
        return complain(f"tagged {args.tagged_command}: {first_line(exc)}", EXIT_FAILED)
    for line in outcome.lines:
        print(line)
    sys.stdout.flush()
    purge_changed(config, outcome.changed)
    return 0


def _create(args: argparse.Namespace, mount: Mount, mounts: tuple[Mount, ...]) -> Outcome:
    from snapfront.tagged.create import CreateOptions, create

    options = CreateOptions(args.dry_run, args.allow_missing, args.sign_with, args.gnupghome)
    return create(mount, mounts, args.tag, args.manifest, options)


def _verify(args: argparse.Namespace, mount: Mount, mounts: tuple[Mount, ...]) -> Outcome:
    from snapfront.tagged.listing import verify

    return verify(mount, mounts, args.tag, args.manifest)


def _list(args: argparse.Namespace, mount: Mount, mounts: tuple[Mount, ...]) -> Outcome:
    from snapfront.tagged.listing import list_tags

    return list_tags(mount, args.json)
