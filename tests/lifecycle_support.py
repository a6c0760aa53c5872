"""A snapshots basedir for the lifecycle tests: the sample host (two codenames, ValidFor 365d)
plus a third serial, built once and copied per test. Expiring a serial is done here with our
own gpg calls, independent of snapfront's code."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from snapfront import sample

CODENAMES = ("bookworm", "jessie/updates")


@dataclass(frozen=True)
class World:
    dir: Path
    root: Path  # the snapshots basedir (mount /debian/)
    config: Path
    keyring: Path
    gnupghome: Path
    fingerprint: str
    serials: tuple[str, str, str]

    def snapshot(self, codename: str, serial: str) -> Path:
        return self.root / "dists" / codename / "snapshots" / serial


def build_template(directory: Path) -> World:
    host = sample.build_sample_host(directory)
    third = host.serials[0][:8] + "03"
    work = directory / "work"
    work.mkdir()
    try:
        deb = sample.make_deb(work, "extra", "1.0-1")
        sample.reprepro(host.snapshots_root, host.gnupghome, "includedeb", "bookworm", str(deb))
        for codename in CODENAMES:
            sample.reprepro(host.snapshots_root, host.gnupghome, "gensnapshot", codename, third)
    finally:
        sample.stop_agent(host.gnupghome)
        shutil.rmtree(work)
    return world_at(directory, host.fingerprint, (*host.serials, third))


def world_at(directory: Path, fingerprint: str, serials: tuple[str, ...]) -> World:
    return World(
        dir=directory,
        root=directory / "snapshots" / "debian",
        config=directory / "snapfront.toml",
        keyring=directory / "keyring.gpg",
        gnupghome=directory / "gnupg",
        fingerprint=fingerprint,
        serials=tuple(serials),  # type: ignore[arg-type]
    )


def copy_world(template: World, dest: Path) -> World:
    """A private copy (gpg-agent sockets left behind: each copy starts its own agent)."""
    shutil.copytree(
        template.dir, dest, symlinks=True, ignore=shutil.ignore_patterns("S.*", "*.lock")
    )
    return world_at(dest, template.fingerprint, template.serials)


def gpg(world: World, *args: str) -> None:
    env = {**os.environ, "GNUPGHOME": str(world.gnupghome)}
    base = ["gpg", "--batch", "--yes", "--no-tty", "--pinentry-mode", "loopback"]
    subprocess.run([*base, *args], env=env, check=True, capture_output=True)


def expire(world: World, serial: str, valid_until: dt.datetime, codenames=CODENAMES) -> None:
    """Rewrite Valid-Until of SERIAL's Releases and re-sign them by hand (see resign)."""
    resign(world, serial, valid_until=valid_until, codenames=codenames)


def resign(
    world: World,
    serial: str,
    date: dt.datetime | None = None,
    valid_until: dt.datetime | None = None,
    codenames=CODENAMES,
) -> None:
    """Rewrite Date and/or Valid-Until of SERIAL's Releases and re-sign them by hand, as an
    operator (or an old snapshot) would have: InRelease clearsigned, Release.gpg detached and
    armored."""
    try:
        for codename in codenames:
            directory = world.snapshot(codename, serial)
            release = directory / "Release"
            text = release.read_text()
            for field, value in (("Date", date), ("Valid-Until", valid_until)):
                if value is not None:
                    stamp = value.astimezone(dt.UTC).strftime("%a, %d %b %Y %H:%M:%S UTC")
                    text, count = re.subn(rf"(?m)^{field}: .*$", f"{field}: {stamp}", text)
                    assert count == 1, field
            release.write_text(text)
            sign = ["--local-user", world.fingerprint, "--digest-algo", "SHA256"]
            gpg(world, *sign, "--output", str(directory / "InRelease"), "--clearsign", str(release))
            gpg(world, *sign, "--armor", "--output", str(directory / "Release.gpg"),
                "--detach-sign", str(release))  # fmt: skip
    finally:
        stop_agent(world)


def just_written(world: World) -> None:
    """Every snapshot's Release family dated as if written in the second a bump or resign
    started now (~0.5 s) reaches its renames, as right after a gensnapshot: it then holds its
    new files, all written, until the next second (lifecycle.replace.newer_second)."""
    when = time.time() + 0.6
    for directory in world.root.glob("dists/**/snapshots/*"):
        for name in ("Release", "InRelease", "Release.gpg"):
            os.utime(directory / name, (when, when))


def tree_hash(path: Path, skip: tuple[str, ...] = ()) -> str:
    """Every directory, file (bytes) and symlink under `path`, names relative."""
    digest = hashlib.sha256()
    for parent, dirs, files in os.walk(path):
        rel = os.path.relpath(parent, path)
        dirs[:] = sorted(d for d in dirs if os.path.normpath(os.path.join(rel, d)) not in skip)
        digest.update(f"d {rel}\n".encode())
        for name in sorted(files):
            full = os.path.join(parent, name)
            if os.path.islink(full):
                digest.update(f"l {rel}/{name} {os.readlink(full)}\n".encode())
            else:
                digest.update(f"f {rel}/{name} ".encode())
                digest.update(hashlib.sha256(Path(full).read_bytes()).digest())
    return digest.hexdigest()


def file_bytes(path: Path, skip: tuple[str, ...] = ()) -> int:
    """Apparent size of the regular files under `path` (what `du -b` counts, directories aside)."""
    total = 0
    for parent, dirs, files in os.walk(path):
        rel = os.path.relpath(parent, path)
        dirs[:] = [d for d in dirs if os.path.normpath(os.path.join(rel, d)) not in skip]
        for name in files:
            full = os.path.join(parent, name)
            if not os.path.islink(full):
                total += os.path.getsize(full)
    return total


def snapshot_cli(world: World, *args: str, env: dict | None = None):
    """`python3 -m snapfront.cli snapshot ARGS --config CONFIG`, GNUPGHOME = the world's key."""
    full_env = {**os.environ, "GNUPGHOME": str(world.gnupghome), **(env or {})}
    cmd = [sys.executable, "-m", "snapfront.cli", "snapshot", args[0], "--config"]
    return subprocess.run(
        [*cmd, str(world.config), *args[1:]], capture_output=True, text=True, env=full_env,
        timeout=300,
    )  # fmt: skip


def references(world: World) -> set[str]:
    out = subprocess.run(
        ["reprepro", "-b", str(world.root), "dumpreferences"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return set(out.splitlines())


def stop_agent(world: World) -> None:
    subprocess.run(
        ["gpgconf", "--kill", "all"], env={**os.environ, "GNUPGHOME": str(world.gnupghome)}
    )


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def do_PURGE(self) -> None:
        type(self).seen.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def recorded_purges(world: World) -> Iterator[list[str]]:
    """A cache that records every PURGE it receives, named as the world's [[cdn]]; yields the
    list of purged paths (clear it between commands)."""
    cache = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=cache.serve_forever, daemon=True)
    thread.start()
    _Recorder.seen.clear()
    try:
        with world.config.open("a") as fh:
            fh.write(f'\n[[cdn]]\npurge = "http://127.0.0.1:{cache.server_port}"\n')
        yield _Recorder.seen
    finally:
        cache.shutdown()
        cache.server_close()
