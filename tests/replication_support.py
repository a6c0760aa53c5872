"""Two snapfront hosts on loopback for the replication tests: an active with a real
`rsync --daemon` serving `snapfront rules --format rsyncd`, and passives pulling from it."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from snapfront.sample_files import CONTROL, MAINTAINER

ROOTS = ("snapshots", "repos", "tagged", "releases")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cli(config: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "snapfront.cli", *args, "--config", str(config)]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})}
    )


@contextlib.contextmanager
def rsync_daemon(config: Path, where: Path, *extra: str) -> Iterator[str]:
    """`rsync --daemon` with the modules `snapfront rules --format rsyncd` prints for
    `config`, on a free loopback port; yields the `rsync://127.0.0.1:PORT/` source."""
    assert shutil.which("rsync"), "rsync is missing: apt-get install rsync"
    rules = cli(config, "rules", "--format", "rsyncd")
    assert rules.returncode == 0, rules.stderr
    conf = where / "rsyncd.conf"
    conf.write_text(rules.stdout)
    port = free_port()
    command = ["rsync", "--daemon", "--no-detach", "--address=127.0.0.1", f"--port={port}"]
    command += [f"--config={conf}", f"--log-file={where / 'rsyncd.log'}", *extra]
    daemon = subprocess.Popen(command)
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            assert daemon.poll() is None and time.monotonic() < deadline, "rsync --daemon died"
            time.sleep(0.05)
        yield f"rsync://127.0.0.1:{port}/"
    finally:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=10)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()


def passive(active_config: Path, where: Path, source: str, extra: str = "") -> Path:
    """A passive host's config in `where`: the active's mounts over empty roots of its own."""
    where.mkdir()
    text = active_config.read_text()
    base = active_config.parent
    for name in ROOTS:
        (where / name).mkdir()
    shutil.copy2(base / "keyring.gpg", where / "keyring.gpg")
    for sub in ("snapshots/debian", "repos/apt"):
        (where / sub).mkdir()
    text = text.replace('output = "output"', 'output = "output"\nrole = "passive"')
    text = text.replace('listen = "127.0.0.1:8080"', 'listen = "127.0.0.1:0"')
    config = where / "snapfront.toml"
    config.write_text(text + f'\n[replication]\nsource = "{source}"\n{extra}')
    return config


def large_debs(where: Path, count: int, size: int) -> dict[str, Path]:
    """`count` packages of `size` random bytes each, stored (dpkg-deb -Znone): what a transfer
    slowed by `--bwlimit` moves for seconds. Package name → .deb."""
    found = {}
    for number in range(1, count + 1):
        name = f"snapfront-large-{number}"
        root = where / name
        (root / "DEBIAN").mkdir(parents=True)
        control = CONTROL.format(name=name, version="1.0", arch="all", maint=MAINTAINER)
        (root / "DEBIAN/control").write_text(control)
        (root / "usr/share" / name).mkdir(parents=True)
        (root / "usr/share" / name / "data").write_bytes(os.urandom(size))
        deb = where / f"{name}_1.0_all.deb"
        command = ["dpkg-deb", "--root-owner-group", "-Znone", "--build", str(root), str(deb)]
        subprocess.run(command, check=True, capture_output=True)
        shutil.rmtree(root)
        found[name] = deb
    return found


def served_config(config: Path) -> Path:
    """`config` without its [replication] section, for `snapfront serve`: the test runs each
    `snapfront replicate` itself (as a timer would), the watcher must start none of its own."""
    text = config.read_text().split("\n[replication]\n", 1)[0]
    served = config.with_name("serve.toml")
    served.write_text(text + "\n")
    return served
