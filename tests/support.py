"""Helpers the tests share: a real `snapfront serve` process and a plain HTTP client."""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

LISTENING = re.compile(r"listening on ((https?)://\S+/)")


@dataclass
class Running:
    url: str
    process: subprocess.Popen[str]
    log: Path
    tls_url: str | None = None  # the HTTPS listener's, when asked for (running_server tls=True)

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)


def with_listen(config: Path, listen: str, dest: Path) -> Path:
    """A copy of `config` that listens elsewhere (127.0.0.1:0 = a free port chosen at bind)."""
    text = re.sub(r'(?m)^listen = ".*"$', f'listen = "{listen}"', config.read_text())
    dest.write_text(text)
    return dest


@contextlib.contextmanager
def running_server(
    config: Path,
    *extra: str,
    timeout: float = 20.0,
    prefix: Sequence[str] = (),
    tls: bool = False,
    python: str = sys.executable,
) -> Iterator[Running]:
    """Start `snapfront serve` (after `prefix`, a command that execs it: `prlimit …`, `setpriv
    …`; with `python`, another interpreter), wait for its "listening on" line (and with `tls`,
    the https one), always stop it (SIGTERM)."""
    log = config.with_suffix(".stderr.log")
    command = [python, "-m", "snapfront.cli", "serve", "--config", str(config), *extra]
    with open(log, "w") as err:
        proc = subprocess.Popen(
            [*prefix, *command],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        urls = _wait_for_listening(proc, log, timeout, ("http", "https") if tls else ("http",))
        yield Running(urls["http"], proc, log, urls.get("https"))
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stdout:
            proc.stdout.close()


def _wait_for_listening(
    proc: subprocess.Popen[str], log: Path, timeout: float, schemes: Sequence[str]
) -> dict[str, str]:
    assert proc.stdout is not None
    urls: dict[str, str] = {}
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    seen = b""  # read from the descriptor: both lines may come in one read
    while time.monotonic() < deadline:
        if not sel.select(timeout=0.2):
            if proc.poll() is not None:
                break
            continue
        got = os.read(proc.stdout.fileno(), 65536)
        if not got:
            break
        seen += got
        for match in LISTENING.finditer(seen.decode(errors="replace")):
            urls[match.group(2)] = match.group(1)
        if all(scheme in urls for scheme in schemes):
            return urls
    proc.kill()
    raise AssertionError(
        f"snapfront serve did not announce itself: stdout={seen.decode(errors='replace')!r} "
        f"stderr={log.read_text()[-2000:]!r}"
    )


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


def fetch(
    url: str, method: str = "GET", headers: Mapping[str, str] | None = None, path: str | None = None
) -> Reply:
    """One request with exactly the headers given (no Accept-Encoding added, no redirects)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.putrequest(method, path if path is not None else (parts.path or "/"),
                        skip_accept_encoding=True)  # fmt: skip
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        conn.endheaders()
        resp = conn.getresponse()
        body = resp.read()
        return Reply(resp.status, resp.headers, body)
    finally:
        conn.close()


def fetch_once_settled(url: str, needle: bytes, timeout: float = 15.0) -> Reply:
    """GET `url` until its body holds `needle` (or time runs out; the caller asserts): a brand
    new host's files stay out of pages and feeds until they have been quiet for a moment."""
    deadline = time.monotonic() + timeout
    while True:
        reply = fetch(url)
        if needle in reply.body or time.monotonic() > deadline:
            return reply
        time.sleep(0.2)


def escape_links(host) -> list[Path]:
    """The symlinks inside the sample host's roots that the canary fixture points outside them."""
    return [
        host.files_root / "escape",
        host.files_root / "mediawiki" / "escape.txt",
        host.snapshots_root / "pool" / "escape.deb",
        host.repository_root / "dists" / "escape",
    ]


def family(root: int) -> list[int]:
    """`root` and all its descendants (serve's supervisor, its workers, the watcher's keeper and
    the watcher), found by parent pid across /proc: a child of any thread counts."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, []))
    return found
