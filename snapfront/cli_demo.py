"""`snapfront demo [--dir DIR] [--listen HOST:PORT]`: build the sample host, say what to try,
serve it.

What it prints must work wherever DIR is, a private home (0700) included: APT's download
methods run as the user `_apt`, which cannot read a keyring under /root. So the APT lines are
a real repository's instructions: fetch each archive's keyring from the host into
/etc/apt/keyrings/ (the path its pages' deb822 stanzas name) and point `signed-by` there.
DIR/url holds the address, so examples (the README's) need not assume the port.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from snapfront.base.config import Config, load, parse_listen
from snapfront.base.errors import EXIT_CONFIG, EXIT_FAILED
from snapfront.rewrite_rules import Mount, MountKind

DEFAULT_LISTEN = "127.0.0.1:8080"
URL_FILE = "url"
"""DIR/url: the demo's address, `http://HOST:PORT` (no trailing slash), rewritten each run."""


def add_parser(commands: argparse._SubParsersAction, serve: Callable[[Config], int]) -> None:
    summary = "build a sample host with reprepro and gpg, and serve it"
    demo = commands.add_parser("demo", help=summary, description=summary)
    demo.add_argument("--config", metavar="FILE", help="ignored; the demo writes its own")
    demo.add_argument("--dir", default="snapfront-demo", type=Path, metavar="DIR")
    demo.add_argument("--listen", default=DEFAULT_LISTEN, metavar="HOST:PORT")
    demo.set_defaults(func=lambda args: run(args, serve))


def run(args: argparse.Namespace, serve: Callable[[Config], int]) -> int:
    from snapfront import sample
    from snapfront.server.workers import check_listen, reserve_port

    try:
        sample.require_tools()
    except sample.MissingTool as exc:
        print(f"snapfront: {exc}", file=sys.stderr)
        return EXIT_FAILED
    try:
        host, port = parse_listen(args.listen)
    except ValueError as exc:
        print(f"snapfront: --listen: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    problem = check_listen(host, port)  # before the sample host is built
    if problem:
        print(f"snapfront: --listen: {problem}", file=sys.stderr)
        return EXIT_CONFIG
    if port == 0:  # a free one now: the guide and DIR/url name the port it will listen on
        sock, port = reserve_port(host, 0)
        sock.close()
    directory: Path = args.dir.resolve()
    if (directory / "snapfront.toml").exists():
        print(f"using the sample host already built in {directory}", flush=True)
    else:
        print(f"building a sample host in {directory} with reprepro and gpg ...", flush=True)
        sample.build_sample_host(directory, listen=args.listen)
    config = _with_listen(load(str(directory / "snapfront.toml")), host, port)
    (directory / URL_FILE).write_text(base_url(config) + "\n")
    print(guide(config, directory), flush=True)
    return serve(config)


def _with_listen(config: Config, host: str, port: int) -> Config:
    """The demo on another address: its links (stanzas, feeds) follow unless set by hand."""
    public = config.public_url
    if public == f"http://{config.host}:{config.port}/":
        public = f"http://{host}:{port}/"
    return replace(config, host=host, port=port, public_url=public)


def base_url(config: Config) -> str:
    host = f"[{config.host}]" if ":" in config.host else config.host
    return f"http://{host}:{config.port}"


def guide(config: Config, directory: Path) -> str:
    """What to try against the demo: its address, APT's instructions, URLs for a browser."""
    base = base_url(config)
    lines = [f"config: {directory / 'snapfront.toml'}", f"URL: {base} (in {directory / URL_FILE})"]
    lines += ["", *apt_instructions(config, base), "", "URLs to try:"]
    for mount in config.mounts:
        lines.append(f"  {base}{mount.url}  ({mount.kind}: {mount.root})")
    return "\n".join(lines)


def apt_instructions(config: Config, base: str) -> list[str]:
    """As root: each keyring from the host into /etc/apt/keyrings/, then the `deb` lines."""
    from snapfront.generator.pages import client_keyring
    from snapfront.rewrite_rules.names import KEYRING_NAME

    lines = [
        "APT, as root: each archive's key from the host into /etc/apt/keyrings/, where APT's",
        "_apt user can read it (this directory may be private):",
        "  install -d -m 0755 /etc/apt/keyrings",
    ]
    for mount in config.mounts:
        if mount.keyring:
            url = f"{base}{mount.url}{KEYRING_NAME}"
            lines.append(f"  curl -fsSL {url} -o {client_keyring(mount)}")
    lines += [
        "then any of these lines in /etc/apt/sources.list.d/snapfront-demo.list, and apt-get",
        "update (each suite's page shows its deb822 .sources stanza too):",
    ]
    for mount in config.mounts:
        option = f" [signed-by={client_keyring(mount)}]" if mount.keyring else ""
        lines += [f"  deb{option} {base}{url} {suite} main" for url, suite in _sources(mount)]
    return lines


def _sources(mount: Mount) -> list[tuple[str, str]]:
    """(URL path, codename) of every suite a mount serves: each serial's, a repository's,
    each tagged archive's."""
    from snapfront.basedir.inventory import read_archive

    if mount.kind == MountKind.SNAPSHOTS:
        archive = read_archive(mount.root)
        return [
            (f"{mount.url}{serial}/", codename)
            for codename in archive.codenames
            for serial in sorted(archive.serials.get(codename, ()))
        ]
    if mount.kind == MountKind.REPOSITORY:
        return [(mount.url, codename) for codename in read_archive(mount.root).codenames]
    if mount.kind == MountKind.TAGGED:
        found = []
        for basedir in sorted(Path(mount.root).glob("*/*/conf")):
            url = f"{mount.url}{basedir.parent.parent.name}/{basedir.parent.name}/"
            found += [(url, c) for c in read_archive(str(basedir.parent)).codenames]
        return found
    return []
