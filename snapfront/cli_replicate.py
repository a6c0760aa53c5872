"""`snapfront replicate --config FILE`: one replication run on a passive host (for a timer;
the watcher of a passive host runs it every `[replication] interval` too).

Exit 0 done, 1 failed (one line; what arrived stays hidden until a run ends), 2 refused (no
[replication], an active host, a bad config, rsync missing). `--serve-db` is what the
active's rsync module runs before a transfer (`pre-xfer exec`, from `snapfront rules
--format rsyncd`): a consistent copy of the asked module's reprepro database.
"""

from __future__ import annotations

import argparse
import os
import time

from snapfront.base.config import Config, ConfigError, load, make_output
from snapfront.base.errors import EXIT_REFUSED, CommandError, Refused
from snapfront.cli_options import add_config_option, complain
from snapfront.privileges import as_basedir_owner, as_output_owner


def add_parser(commands: argparse._SubParsersAction) -> None:
    summary = "pull every mount from the active host's rsync modules (a passive host)"
    parser = commands.add_parser("replicate", help=summary, description=summary)
    add_config_option(parser)
    parser.add_argument("--serve-db", action="store_true", help=argparse.SUPPRESS)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        config = load(args.config)
        if args.serve_db:
            return _serve_db(config)
        _check(config)
        as_output_owner(config)
        make_output(config)
        return _replicate(config)
    except ConfigError as exc:
        return complain(str(exc), EXIT_REFUSED)
    except CommandError as exc:
        return complain(str(exc), exc.exit_status)


def _check(config: Config) -> None:
    from snapfront.health.facts import role
    from snapfront.replication.rsync import rsync

    if config.replication is None:
        raise ConfigError(config.path, "replication", "missing: replicate needs its source")
    if role(config) == "active":
        where = f" (or create {config.role_file})" if config.role_file else ""
        raise Refused(f"this host is active: only a passive host replicates{where}")
    rsync()


def _replicate(config: Config) -> int:
    from snapfront.base.errors import Failed
    from snapfront.replication.run import replicate
    from snapfront.replication.state import record

    started = time.time()
    try:
        runs = replicate(config)
    except Failed as exc:
        record(config.output, started, time.time(), None, str(exc))
        raise
    state = record(config.output, started, time.time(), runs, None)
    for found in runs:
        for moved in found.quarantined:
            print(
                f"{found.mount.url}: quarantined {moved.path} (the active never had it): "
                f"now {moved.moved_to}"
            )
        print(found.summary())
    took = (state.finished or started) - started
    print(f"replicated from {config.replication.source} in {took:.1f} s")  # type: ignore[union-attr]
    return 0


def _serve_db(config: Config) -> int:
    """The active's side, run by rsyncd before a transfer: only a request for the database
    copy makes one (under the basedir lock); any other request passes at once."""
    from snapfront.lifecycle import basedir_lock
    from snapfront.replication.database import make_copy
    from snapfront.rewrite_rules.export_rsyncd import DB_COPY, module_name

    request = os.environ.get("RSYNC_REQUEST", "")
    module = os.environ.get("RSYNC_MODULE_NAME", "")
    if DB_COPY not in request:
        return 0
    for mount in config.mounts:
        if module_name(mount.url) == module:
            as_basedir_owner(config, mount)
            with basedir_lock.hold(mount.root):
                make_copy(mount.root)
            return 0
    print(f"snapfront: no mount for rsync module {module!r}")
    return EXIT_REFUSED
