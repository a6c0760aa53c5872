"""`snapfront demo` inside a Debian root, followed as its user would: the APT lines it prints
run inside the root, with the root's own apt-get, whose downloads run as `_apt`. The demo lives
under /root (0700), so a keyring APT's sandbox cannot read fails here as on a real machine."""

from __future__ import annotations

import re
import selectors
import shlex
import subprocess
import time

from tests import debroot

KEYRING_STEP = re.compile(
    r"^  (install -d -m 0755 /etc/apt/keyrings|"
    r"curl -fsSL http://\S+/debian/keyring\.gpg -o /etc/apt/keyrings/\S+\.gpg)$"
)
DEB_LINE = re.compile(
    r"^  (deb \[signed-by=/etc/apt/keyrings/\S+\.gpg\] (http://\S+)/debian/(\d{10})/ bookworm main)$"
)
SOURCES = "/etc/apt/sources.list.d/snapfront-demo.list"
APT_TROUBLE = ("Permission denied", "NO_PUBKEY", "Missing key", "not signed", "Err:")


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


def start_demo(root: debroot.Root, command: str, cwd: str) -> tuple[subprocess.Popen[str], str]:
    """Start `command` (snapfront demo …) in `cwd` inside, on a port free outside; returns the
    process (stop it with debroot.stop) and what it printed up to its banner."""
    port = debroot.free_port()
    proc = root.popen(f"cd {shlex.quote(cwd)} && exec {command} --listen 127.0.0.1:{port}")
    try:
        lines = wait_for_banner(proc, timeout=180)
    except BaseException:
        debroot.stop(proc)
        raise
    assert lines[-1] == f"listening on http://127.0.0.1:{port}/"
    return proc, "\n".join(lines)


def follow_apt_lines(root: debroot.Root, printed: str) -> str:
    """The printed keyring steps, one printed deb line in sources.list.d, `apt-get update` and
    `apt-get download` of the demo's hello, all as root inside (APT's own sandbox); the source
    is removed again. Returns apt's output."""
    lines = printed.splitlines()
    steps = [m.group(1) for line in lines if (m := KEYRING_STEP.match(line))]
    debs = [m for line in lines if (m := DEB_LINE.match(line))]
    assert len(steps) == 2 and debs, "the demo printed no keyring steps or deb line:\n" + printed
    line, url, serial = debs[-1].groups()
    root.run(" && ".join(steps))
    root.run(f"echo {shlex.quote(line)} > {SOURCES}")
    try:
        update = root.run("apt-get update 2>&1")
        assert not [x for x in update.splitlines() if any(w in x for w in APT_TROUBLE)], update
        assert f"{url}/debian/{serial} bookworm InRelease" in update, update
        # the demo's own hello (Debian's may be newer): the version its index offers
        madison = root.run("apt-cache madison hello")
        (version,) = [row.split("|")[1].strip() for row in madison.splitlines() if url in row]
        download = root.run(f"cd /tmp && apt-get download hello={version} 2>&1 && ls hello_*.deb")
        assert "Permission denied" not in download, download
        return update + madison + download
    finally:
        root.run(f"rm -f {SOURCES} /tmp/hello_*.deb")


def run_demo(root: debroot.Root, command: str, cwd: str = "/root") -> str:
    """Start the demo inside under /root (a private 0700 home, as Debian makes it), follow its
    APT lines, always stop it."""
    assert cwd.startswith("/root") and root.run("stat -c %a /root").strip() == "700"
    proc, printed = start_demo(root, command, cwd)
    try:
        return follow_apt_lines(root, printed)
    finally:
        assert debroot.stop(proc) == 0
