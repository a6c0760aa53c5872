"""`snapfront demo` inside a Debian root, fetched from outside with real apt-get."""

from __future__ import annotations

import re
import selectors
import shutil
import subprocess
import time
from pathlib import Path

from tests import debroot
from tests.apt_client import AptRoot

DEB_LINE = re.compile(r"^\s*deb \[signed-by=(\S+)\] (http://\S+/debian/\d{10}/) bookworm main$")


def wait_for_banner(proc: subprocess.Popen[str], timeout: float) -> list[str]:
    """stdout lines up to "listening on"; AssertionError with all of them if it never comes."""
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    lines: list[str] = []
    while time.monotonic() < deadline:
        if not sel.select(timeout=0.5):
            continue
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if line.startswith("listening on http://"):
            return lines
    raise AssertionError("no 'listening on' banner:\n" + "\n".join(lines))


def fetch_demo_with_apt(root: debroot.Root, lines: list[str], workdir: Path) -> None:
    """apt-get update (signatures checked with the demo's keyring) and download a package."""
    found = [m for line in lines if (m := DEB_LINE.match(line))]
    assert found, "the demo printed no deb line:\n" + "\n".join(lines)
    inside_keyring, url = found[0].groups()
    keyring = shutil.copy(root.path / inside_keyring.lstrip("/"), workdir / "keyring.gpg")
    apt = AptRoot(workdir / "apt", [f"deb [signed-by={keyring}] {url} bookworm main"])
    update = apt.run("update")
    assert update.returncode == 0 and not update.problems(), update.output
    download = apt.run("download", "hello", cwd=workdir)
    assert download.returncode == 0, download.output
    assert list(workdir.glob("hello_*.deb")), download.output


def run_demo(root: debroot.Root, workdir: Path, command: str) -> None:
    """Start the demo inside on a port free outside, fetch from it, always stop it."""
    port = debroot.free_port()
    proc = root.popen(f"exec {command} --dir /tmp/demo --listen 127.0.0.1:{port}")
    try:
        lines = wait_for_banner(proc, timeout=180)
        assert lines[-1] == f"listening on http://127.0.0.1:{port}/"
        fetch_demo_with_apt(root, lines, workdir)
    finally:
        assert debroot.stop(proc) == 0
