"""`snapfront suite uploads MOUNT_URL [--json]` and `snapfront suite process MOUNT_URL
[--dry-run]`: the uploads of a repository mount (suites.uploads).

`uploads` lists what waits in incoming/ and what was rejected, with reprepro's reasons;
`process` does once what the watcher does on every change in incoming/ (for a host without
the watcher, or a timer). Thin like snapfront/cli_snapshot.py: find the mount, become the
basedir's owner when root, call, print, purge from every [[cdn]].
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from snapfront.base.config import ConfigError, load
from snapfront.base.errors import EXIT_FAILED, EXIT_REFUSED, CommandError
from snapfront.basedir.tools import MissingTool, ToolError, require
from snapfront.cli_options import add_config_option, complain, purge_changed
from snapfront.cli_snapshot import find_mount
from snapfront.lifecycle.repo import first_line
from snapfront.privileges import as_basedir_owner
from snapfront.rewrite_rules import MountKind


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Under `snapfront suite` (made here when no other module has made it yet)."""
    group = commands.choices.get("suite")
    if group is None:
        summary = "the suites and uploads of a repository mount"
        group = commands.add_parser("suite", help=summary, description=summary)
        group.add_subparsers(dest="suite_command", required=True, metavar="ACTION")
    add_actions(next(a for a in group._actions if isinstance(a, argparse._SubParsersAction)))


def add_actions(sub: argparse._SubParsersAction) -> None:
    def action(name: str, text: str) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, help=text, description=text)
        add_config_option(parser)
        parser.add_argument("mount", metavar="MOUNT_URL", help="the repository mount, e.g. /apt/")
        return parser

    listing = action("uploads", "uploads waiting in incoming/ and those rejected, with why")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_uploads)
    process = action("process", "hand every complete upload in incoming/ to reprepro, once")
    process.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    process.add_argument("--gnupghome", metavar="DIR", help="default: $GNUPGHOME")
    process.set_defaults(func=cmd_process)


def cmd_uploads(args: argparse.Namespace) -> int:
    from snapfront.suites import upload_tally
    from snapfront.suites.incoming_scan import rejected, scan

    try:
        mount = find_mount(load(args.config), args.mount, (MountKind.REPOSITORY,))
    except ConfigError as exc:
        return complain(str(exc), EXIT_REFUSED)
    found = scan(mount.root, time.time())
    waiting = [(u, d) for u, d in found.uploads if d.state.value != "ready"]
    aside = rejected(mount.root)
    if args.json:
        document = {
            "mount": mount.url,
            "counts": upload_tally.read(mount.root),
            "waiting": [{"changes": u.changes, "suite": u.suite, "source": u.source,
                         "version": u.version, "missing": list(d.missing)}
                        for u, d in waiting],
            "rejected": [r.to_json() for r in aside],
        }  # fmt: skip
        print(json.dumps(document, indent=1, sort_keys=True))
        return 0
    for upload, decision in waiting:
        print(f"waiting\t{upload.suite}\t{upload.changes}\tmissing " + ", ".join(decision.missing))
    for one in aside:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(one.when))
        print(f"rejected\t{one.suite}\t{one.changes}\t{when} UTC\t{one.reason}")
    if not waiting and not aside:
        print(f"{mount.url}: no upload waiting or rejected")
    return 0


def cmd_process(args: argparse.Namespace) -> int:
    from snapfront.suites.uploads import process

    try:
        config = load(args.config)
        mount = find_mount(config, args.mount, (MountKind.REPOSITORY,))
        if not args.dry_run:
            as_basedir_owner(config, mount)
        require("reprepro")
        done = process(mount.root, args.gnupghome, dry_run=args.dry_run)
    except (ConfigError, MissingTool) as exc:
        return complain(str(exc), EXIT_REFUSED)
    except CommandError as exc:
        return complain(str(exc), exc.exit_status)
    except (ToolError, OSError) as exc:
        return complain(f"suite process: {first_line(exc)}", EXIT_FAILED)
    for line in done.lines():
        print(line)
    sys.stdout.flush()
    purge_changed(config, done.changed)
    return 0
