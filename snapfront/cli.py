"""The `snapfront` command: the one module that wires config, server and generator together."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from snapfront import __version__
from snapfront.base.config import Config, ConfigError, load, make_output
from snapfront.base.config_checks import warnings
from snapfront.base.errors import EXIT_CONFIG
from snapfront.cli_demo import add_parser as add_demo_command
from snapfront.cli_diff import add_parser as add_diff_commands
from snapfront.cli_options import add_config_option
from snapfront.cli_replicate import add_parser as add_replicate_command
from snapfront.cli_serials import add_parser as add_serials_commands
from snapfront.cli_snapshot import add_parser as add_snapshot_commands
from snapfront.cli_suite import add_parser as add_suite_commands
from snapfront.cli_tagged import add_parser as add_tagged_commands
from snapfront.cli_uploads import add_parser as add_upload_commands
from snapfront.privileges import as_output_owner

if TYPE_CHECKING:
    from snapfront.server.tls import Certificate


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="snapfront",
        description="HTTP front end for APT snapshot, repository and release-tarball hosts.",
    )
    parser.add_argument("--version", action="version", version=f"snapfront {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, func, summary: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=summary, description=summary)
        sub.set_defaults(func=func)
        return sub

    serve = command("serve", cmd_serve, "serve the mounts of a config over HTTP")
    add_config_option(serve)
    serve.add_argument(
        "--no-watch",
        dest="watch",
        action="store_false",
        help="build once at start; do not keep pages and traces current",
    )
    watch = command("watch", cmd_watch, "keep pages, feeds and traces current (no serving)")
    add_config_option(watch)
    check = command("check-config", cmd_check_config, "validate a config and print its mounts")
    add_config_option(check)
    build = command("build", cmd_build, "render every page, feed and trace into the output")
    add_config_option(build)
    text = "print nginx or Apache configuration serving the mounts, or rsync daemon modules"
    rules = command("rules", cmd_rules, text)
    add_config_option(rules)
    rules.add_argument("--format", choices=("nginx", "apache", "rsyncd"), default="nginx")
    rules.add_argument(
        "--listen",
        metavar="HOST:PORT",
        help="nginx: a listen directive; Apache: a whole <VirtualHost HOST:PORT>",
    )
    add_demo_command(commands, _serve)  # snapfront/cli_demo.py
    add_snapshot_commands(commands)  # snapfront/cli_snapshot.py
    add_serials_commands(commands)  # snapfront/cli_serials.py
    add_diff_commands(commands)  # snapfront/cli_diff.py
    add_tagged_commands(commands)  # snapfront/cli_tagged.py
    add_suite_commands(commands)  # snapfront/cli_suite.py
    add_upload_commands(commands)  # snapfront/cli_uploads.py: suite uploads, suite process
    add_replicate_command(commands)  # snapfront/cli_replicate.py
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"snapfront: {exc}", file=sys.stderr)
        return EXIT_CONFIG


def cmd_check_config(args: argparse.Namespace) -> int:
    config = load(args.config)
    certificate = _certificate(config)  # reads the files: the one command besides serve that does
    print(f"{config.path}: ok; listen {config.host}:{config.port}, output {config.output}")
    if config.tls is not None and certificate is not None:
        tls = config.tls
        print(f"tls_listen {tls.host}:{tls.port}, certificate {certificate.describe()}")
    for mount in config.mounts:
        extra = f" keyring={mount.keyring}" if mount.keyring else ""
        print(f"{mount.url}\t{mount.kind}\t{mount.root}\ttrace={mount.trace}{extra}")
    for line in warnings(config):  # exit 0 all the same
        print(line, file=sys.stderr)
    if certificate is not None and certificate.warning:
        print(certificate.warning, file=sys.stderr)
    return 0


def _certificate(config: Config) -> Certificate | None:
    """The HTTPS listener's certificate, loaded and tried; ConfigError when it cannot serve."""
    if config.tls is None:
        return None
    from snapfront.server import tls

    return tls.load(config)


def cmd_rules(args: argparse.Namespace) -> int:
    """The URL map as web server configuration, for the codenames and serials on disk now."""
    from snapfront.base.site_files import static_dir
    from snapfront.basedir.inventory import read_inventory
    from snapfront.rewrite_rules import Rules
    from snapfront.rewrite_rules.export import ExportError, export_apache, export_nginx

    config = load(args.config)
    if args.format == "rsyncd":
        return _rsyncd(config)
    # The output directory without symlinks: the exported config refuses to follow any.
    output, archives = os.path.realpath(config.output), read_inventory(config.mounts)
    rules = Rules(config.mounts, output, archives, static=static_dir())  # + /-/static/
    export = export_apache if args.format == "apache" else export_nginx
    try:
        text = export(rules, config.cache, listen=args.listen)
    except ExportError as exc:
        print(f"snapfront: {config.path}: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    sys.stdout.write(text)
    return 0


def _rsyncd(config: Config) -> int:
    """The read-only rsync modules a passive host replicates from (snapfront replicate)."""
    from snapfront.rewrite_rules.export_rsyncd import render

    owners = {}
    for mount in config.mounts:
        info = os.stat(mount.root)
        owners[mount.root] = (info.st_uid, info.st_gid)
    db_copy = [sys.executable, "-m", "snapfront.cli", "replicate", "--config", config.path]
    try:
        text = render(config.mounts, [*db_copy, "--serve-db"], owners)
    except ValueError as exc:
        print(f"snapfront: {config.path}: mount: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    sys.stdout.write(text)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    return _serve(load(args.config), watch=args.watch)


def cmd_watch(args: argparse.Namespace) -> int:
    """The watcher alone, for hosts where another web server serves the output."""
    from snapfront.generator.watch_main import run_watcher

    config = load(args.config)
    as_output_owner(config)
    make_output(config)
    return run_watcher(config)


def cmd_build(args: argparse.Namespace) -> int:
    from snapfront.generator.build import Builder

    config = load(args.config)
    as_output_owner(config)
    make_output(config)
    builder = Builder(config)
    report = builder.full()
    print(f"built {config.output}: {report.summary()}")
    if report.changed:  # it may be cached in front
        from snapfront.purge import Changes, purge_now

        purge_now(config, Changes(output_paths=report.changed, after=builder.archives))
    return 0


def _serve(config: Config, watch: bool = True) -> int:
    """Serve, with the watcher beside (it builds first), or after one build without it."""
    from snapfront.generator.build import build
    from snapfront.generator.on_request import PageRenderer
    from snapfront.server.run import serve

    certificate = _preflight(config)  # before anything is built or written: read as root
    ports = (config.port, config.tls.port if config.tls else 0)
    as_output_owner(config, port=min((p for p in ports if p), default=0))  # below 1024: bindable
    make_output(config)
    if watch:
        from snapfront.generator.watch_main import run_watcher

        def watcher(ready: Callable[[], None], lifeline: int) -> int:
            return run_watcher(config, ready, lifeline)

        return serve(
            config,
            announce=_announce,
            companion=watcher,
            render=PageRenderer(config),
            certificate=certificate,
        )
    try:
        report = build(config)
        logging.getLogger("snapfront").info("built %s: %s", config.output, report.summary())
    except Exception:  # pages are a convenience; the archive must be served regardless
        logging.getLogger("snapfront").exception(
            "building %s failed; serving anyway", config.output
        )
    return serve(config, announce=_announce, render=PageRenderer(config), certificate=certificate)


def _announce(line: str) -> None:
    print(line, flush=True)


def _preflight(config: Config) -> Certificate | None:
    """What serve must have before it builds anything: its addresses free, its certificate."""
    from snapfront.server.workers import check_listen

    problem = check_listen(config.host, config.port)
    if problem:
        raise ConfigError(config.path, "server.listen", problem)
    certificate = _certificate(config)
    if config.tls is not None:
        problem = check_listen(config.tls.host, config.tls.port)
        if problem:
            raise ConfigError(config.path, "server.tls_listen", problem)
    if certificate is not None and certificate.warning:
        print(certificate.warning, file=sys.stderr, flush=True)
    return certificate


if __name__ == "__main__":
    sys.exit(main())
