"""`snapfront suite list|sync|merge|reset|tag MOUNT_URL …` (README: Suites).

Thin: find the repository mount (any other kind: exit 2), become its basedir's owner when run
as root, check the tools, run suites.commands under the basedir lock after resolving an
interrupted operation (suites.recover), print the lines, purge what changed from every
[[cdn]]. Exit 0 done, 1 failed (put back) or refused by a merge guard, 2 refused.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from snapfront.base.config import ConfigError, load
from snapfront.base.errors import EXIT_FAILED, EXIT_REFUSED, CommandError
from snapfront.basedir.tools import MissingTool, ToolError, require
from snapfront.cli_options import add_config_option, complain, purge_changed
from snapfront.cli_snapshot import become_basedir_owner, find_mount
from snapfront.rewrite_rules import Mount, MountKind

Action = Callable[..., object]


def add_parser(commands: argparse._SubParsersAction) -> None:
    summary = "the suites of a repository mount: one per Git branch and tag, merges, resets"
    group = commands.add_parser("suite", help=summary, description=summary)
    sub = group.add_subparsers(dest="suite_command", required=True, metavar="ACTION")

    def action(name: str, text: str, writes: bool = True) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, help=text, description=text)
        add_config_option(parser)
        parser.add_argument("mount", metavar="MOUNT_URL", help="the repository mount, e.g. /tails/")
        parser.set_defaults(func=lambda args: run(args, writes))
        if writes:
            parser.add_argument(
                "--dry-run", action="store_true", help="print the plan, change nothing"
            )
            parser.add_argument(
                "--gnupghome", metavar="DIR", help="signing keys; default: $GNUPGHOME"
            )
        return parser

    listing = action("list", "suites with kind, package counts, uploads, last change", False)
    listing.add_argument("--json", action="store_true")
    sync = action("sync", "create the suites of a Git repository's branches and tags")
    sync.add_argument("--git", required=True, metavar="REPO", help="a path or URL for git")
    sync.add_argument("--template", metavar="CODENAME", help="the stanza new suites copy")
    text = "another main branch (stable, testing, devel, feature-* are)"
    sync.add_argument("--main", action="append", default=[], metavar="BRANCH", help=text)
    merge = action("merge", "merge SRC suites, in order, into DST, with guards")
    merge.add_argument("suites", nargs="+", metavar="SRC… DST")
    merge.add_argument("--allow-downgrade", action="store_true")
    merge.add_argument("--allow-readd", action="store_true")
    reset = action("reset", "make OLD exactly NEW")
    reset.add_argument("old", metavar="OLD")
    reset.add_argument("new", metavar="NEW")
    tag = action("tag", "the release suite TAG receives FROM's packages, read-only afterwards")
    tag.add_argument("tag", metavar="TAG")
    tag.add_argument("source", metavar="FROM")


def run(args: argparse.Namespace, writes: bool) -> int:
    try:
        config = load(args.config)
        mount = find_mount(config, args.mount, (MountKind.REPOSITORY,))
        if args.suite_command == "merge" and len(args.suites) < 2:
            raise ConfigError(config.path, "merge", "give at least one SRC and the DST")
        if writes:
            become_basedir_owner(args, config, mount)
        require("reprepro", *(("git",) if args.suite_command == "sync" else ()))
        lines, changed, refusal = _call(args, mount, writes)
    except (ConfigError, MissingTool) as exc:
        return complain(str(exc), EXIT_REFUSED)
    except CommandError as exc:
        return complain(str(exc), exc.exit_status)
    except ToolError as exc:  # reading failed: nothing had changed
        from snapfront.lifecycle.repo import first_line

        return complain(f"suite {args.suite_command}: {first_line(exc)}", EXIT_FAILED)
    for line in lines:
        print(line)
    sys.stdout.flush()
    purge_changed(config, changed)
    return complain(refusal, EXIT_FAILED) if refusal else 0


def _call(args: argparse.Namespace, mount: Mount, writes: bool):
    from snapfront.lifecycle.recover import pending_note
    from snapfront.lifecycle.repo import Repo
    from snapfront.suites.recover import resolved_first

    repo = Repo(mount.root, getattr(args, "gnupghome", None))
    if not writes or args.dry_run:
        if writes and (note := pending_note(mount.root, mount.url)):
            print(note, file=sys.stderr)
        return _act(args, mount, repo)
    with resolved_first(repo, mount.url) as recovered:
        lines, changed, refusal = _act(args, mount, repo)
    return lines, (*recovered.changed, *changed), refusal


def _act(args: argparse.Namespace, mount: Mount, repo):
    from snapfront.suites import commands

    name = args.suite_command
    dry = getattr(args, "dry_run", False)
    if name == "list":
        out = commands.list_suites(repo, args.json)
    elif name == "sync":
        out = commands.sync(repo, args.git, args.template, args.main, dry)
    elif name == "merge":
        *sources, dst = args.suites
        result = commands.merge(repo, mount.url, sources, dst, dry, args.allow_downgrade,
                                args.allow_readd)  # fmt: skip
        return result.outcome.lines, result.outcome.changed, result.refusal
    elif name == "reset":
        out = commands.reset(repo, mount.url, args.old, args.new, dry)
    else:
        out = commands.tag(repo, mount.url, args.tag, args.source, dry)
    return out.lines, out.changed, None
