"""`snapfront snapshot take|list|bump|resign|gc|drop-codename MOUNT_URL …`.

Thin: find the snapshots mount, become its basedir's owner when run as root (every action
but list writes there: snapfront.run_as), check the tools are there, call lifecycle, print
the Outcome's lines, purge what it changed from every [[cdn]]. Exit 0 done, 1 failed and
rolled back, 2 refused (usage, config, missing tool), with one line `snapfront: …` on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import replace

from snapfront.base.config import Config, ConfigError, load
from snapfront.base.errors import EXIT_FAILED, EXIT_REFUSED, CommandError, Refused
from snapfront.basedir.inventory import read_archive
from snapfront.basedir.release import GpgvMissing
from snapfront.basedir.tools import MissingTool, ToolError, require
from snapfront.cli_options import add_config_option, complain
from snapfront.lifecycle.outcome import Outcome
from snapfront.lifecycle.repo import first_line
from snapfront.privileges import as_basedir_owner, name_of
from snapfront.rewrite_rules import Archive, Mount, MountKind
from snapfront.run_as import gnupghome_problem

Action = Callable[[argparse.Namespace, Mount], Outcome]


def add_parser(commands: argparse._SubParsersAction) -> None:
    summary = "take, list, bump, re-sign and expire the snapshots of a snapshots mount"
    group = commands.add_parser("snapshot", help=summary, description=summary)
    sub = group.add_subparsers(dest="snapshot_command", required=True, metavar="ACTION")

    def action(
        name: str, func: Action, tools: tuple[str, ...], text: str, writes: bool = True
    ) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, help=text, description=text)
        add_config_option(parser)
        parser.add_argument("mount", metavar="MOUNT_URL", help="the snapshots mount, e.g. /debian/")
        parser.set_defaults(func=lambda args: run(args, func, tools, writes))
        return parser

    def gnupghome(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--gnupghome", metavar="DIR", help="default: $GNUPGHOME")

    take = action("take", _take, ("reprepro", "gpg"), "snapshot every codename with one new serial")
    take.add_argument("--serial", metavar="YYYYMMDDNN", help="default: today's next")
    gnupghome(take)
    text = "serials, dates, Valid-Until, which one the trace names"
    listing = action("list", _list, (), text, writes=False)
    listing.add_argument("--json", action="store_true")
    bump = action("bump", _bump, ("gpg", "gpgv"), "set Valid-Until to now + N days and re-sign")
    bump.add_argument("serials", nargs="+", metavar="SERIAL")
    bump.add_argument("--days", type=int, required=True, metavar="N")
    gnupghome(bump)
    resign = action("resign", _resign, ("gpg", "gpgv"), "re-sign without changing any field")
    resign.add_argument("serials", nargs="*", metavar="SERIAL")
    resign.add_argument("--all", action="store_true", help="every serial")
    gnupghome(resign)
    gc = action("gc", _gc, ("reprepro",), "remove expired snapshots and the pool files they held")
    gc.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    gc.add_argument("--keep", type=int, default=1, metavar="N", help="newest serials kept (1)")
    gc.add_argument("--grace", type=float, default=24.0, metavar="HOURS", help="default 24")
    gc.add_argument(
        "--max-age", type=float, metavar="DAYS", help="for Releases without Valid-Until"
    )
    drop = action("drop-codename", _drop, ("reprepro", "gpg"), "stop tracking a codename")
    drop.add_argument("codename", metavar="CODENAME")
    drop.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    gnupghome(drop)


def run(args: argparse.Namespace, func: Action, tools: tuple[str, ...], writes: bool) -> int:
    try:
        config = load(args.config)
        mount = find_mount(config, args.mount)
        if writes:
            become_basedir_owner(args, config, mount)
        require(*tools, *(("gpgv",) if mount.keyring else ()))
        before = _archives(config, mount, args) if config.cdns and writes else None
        outcome = _after_recovery(args, func, mount) if writes else func(args, mount)
    except ConfigError as exc:
        return complain(str(exc), EXIT_REFUSED)
    except (MissingTool, GpgvMissing) as exc:
        return complain(str(exc), EXIT_REFUSED)
    except CommandError as exc:
        return complain(str(exc), exc.exit_status)
    except ToolError as exc:  # a tool failed where the command had changed nothing yet
        return complain(f"{args.snapshot_command}: {first_line(exc)}", EXIT_FAILED)
    for line in outcome.lines:
        print(line)
    sys.stdout.flush()
    if outcome.changed and before is not None:  # with [[cdn]]: the purge waits for them
        from snapfront.purge import Changes, purge_now

        after = _archives(config, mount, args)
        purge_now(config, Changes(data_paths=outcome.changed, before=before, after=after))
    return 0


def _after_recovery(args: argparse.Namespace, func: Action, mount: Mount) -> Outcome:
    """Under the basedir lock, an interrupted operation is finished or rolled back first
    (lifecycle.recover: one line on stderr); `--dry-run` only says it is there."""
    from snapfront.lifecycle.recover import pending_note, resolved_first

    if getattr(args, "dry_run", False):
        note = pending_note(mount.root, mount.url)
        if note:
            print(note, file=sys.stderr)
        return func(args, mount)
    from snapfront.replication.recover import resolve as undo_replication

    others = {"replicate": undo_replication}  # a promoted passive's interrupted run
    gnupghome = getattr(args, "gnupghome", None)
    with resolved_first(mount.root, mount.url, gnupghome, others) as recovered:
        outcome = func(args, mount)
    return replace(outcome, changed=recovered.changed + outcome.changed)


def _archives(config: Config, mount: Mount, args: argparse.Namespace) -> dict[str, Archive]:
    """The codenames and serials of the mount's basedir (for every mount that serves it),
    read before the command and after: the URLs of what it removes (gc's serials) are known
    to the purge. drop-codename's codename is already gone from conf/distributions (the
    operator's first step): it is read from dists/ as long as it is there."""
    codename = getattr(args, "codename", None)
    archive = read_archive(mount.root, dropped=(codename,) if codename else ())
    same = (m for m in config.mounts if m.kind is MountKind.SNAPSHOTS and m.root == mount.root)
    return {m.url: archive for m in same}


def become_basedir_owner(args: argparse.Namespace, config: Config, mount: Mount) -> None:
    """Root runs reprepro and gpg as the basedir's owner (snapfront.run_as); an action that
    signs then uses that user's ~/.gnupg, or a GNUPGHOME given that the user owns."""
    signs = hasattr(args, "gnupghome")
    home = (args.gnupghome or os.environ.get("GNUPGHOME")) if signs else None
    home_owner = os.stat(home).st_uid if home and os.path.exists(home) else None  # as root
    user = as_basedir_owner(config, mount)
    if user is None or home is None or home_owner is None:
        return
    problem = gnupghome_problem(home, name_of(home_owner), user.name)
    if problem:
        raise Refused(problem)


def find_mount(
    config: Config, url: str, kinds: tuple[MountKind, ...] = (MountKind.SNAPSHOTS,)
) -> Mount:
    """The mount at `url` (the trailing slash may be left out), of one of `kinds`."""
    wanted = url if url.endswith("/") else url + "/"
    names = " or ".join(str(k) for k in kinds)
    for mount in config.mounts:
        if mount.url == wanted:
            if mount.kind not in kinds:
                raise ConfigError(
                    config.path, "mount", f"{mount.url} is a {mount.kind} mount, not {names}"
                )
            return mount
    known = ", ".join(m.url for m in config.mounts if m.kind in kinds) or "none"
    raise ConfigError(config.path, "mount", f"no mount at {url} ({names} mounts: {known})")


def _take(args: argparse.Namespace, mount: Mount) -> Outcome:
    from snapfront.lifecycle.take import take

    return take(mount, args.serial, args.gnupghome)


def _list(args: argparse.Namespace, mount: Mount) -> Outcome:
    from snapfront.lifecycle.listing import list_snapshots

    return list_snapshots(mount, args.json)


def _bump(args: argparse.Namespace, mount: Mount) -> Outcome:
    from snapfront.lifecycle.bump import bump

    return bump(mount, args.serials, args.days, args.gnupghome)


def _resign(args: argparse.Namespace, mount: Mount) -> Outcome:
    from snapfront.lifecycle.bump import resign

    if args.all == bool(args.serials):
        raise Refused("resign: name the serials, or --all (not both)")
    return resign(mount, None if args.all else args.serials, args.gnupghome)


def _gc(args: argparse.Namespace, mount: Mount) -> Outcome:
    from snapfront.lifecycle.gc import GcOptions, gc

    return gc(mount, GcOptions(args.dry_run, args.keep, args.grace, args.max_age))


def _drop(args: argparse.Namespace, mount: Mount) -> Outcome:
    from snapfront.lifecycle.drop import drop_codename

    return drop_codename(mount, args.codename, args.dry_run, args.gnupghome)
