"""Real caches in front of a real snapfront, for tests: Varnish and Traffic Server on loopback.

Both start from the configs in contrib/ (only the origin's port is changed), as plain
foreground processes in a session of their own, and are always stopped by that session's id.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shlex
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from tests import debroot
from tests.support import Reply

CONTRIB = Path(__file__).resolve().parent.parent / "contrib"
SBIN = os.pathsep.join((os.environ.get("PATH", ""), "/usr/sbin", "/sbin"))
START_TIMEOUT = 30.0


@dataclass
class Proxy:
    """A cache on loopback: `url` to send requests to, `host` the Host header it is keyed on."""

    url: str
    host: str
    process: subprocess.Popen[bytes]
    log: Path

    def fetch(self, path: str, method: str = "GET", **headers: str) -> Reply:
        """One request with exactly these headers and the Host the cache is keyed on."""
        parts = urlsplit(self.url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for name, value in {"Host": self.host, **headers}.items():
                conn.putheader(name, value)
            conn.endheaders()
            resp = conn.getresponse()
            return Reply(resp.status, resp.headers, resp.read())
        finally:
            conn.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require(command: str, package: str) -> str:
    """The command's path; fails (never skips) naming the Debian package to install."""
    found = shutil.which(command, path=SBIN)
    assert found, f"{command} not found: apt-get install {package}"
    return found


def contrib_text(relpath: str, origin_port: int) -> str:
    """A contrib config with snapfront's default listen port replaced by the test origin's."""
    text = (CONTRIB / relpath).read_text()
    assert "8080" in text, relpath
    return text.replace('"8080"', f'"{origin_port}"').replace(":8080/", f":{origin_port}/")


@contextlib.contextmanager
def running_varnish(workdir: Path, origin_port: int, port: int) -> Iterator[Proxy]:
    varnishd = require("varnishd", "varnish")
    workdir.mkdir(parents=True, exist_ok=True)
    vcl = workdir / "snapfront.vcl"
    vcl.write_text(contrib_text("varnish/snapfront.vcl", origin_port))
    args = [varnishd, "-j", "none", "-n", str(workdir / "n"), "-a", f"127.0.0.1:{port}"]
    args += ["-f", str(vcl), "-s", "malloc,64m", "-F"]
    with _running(args, workdir / "varnishd.log", port, f"127.0.0.1:{port}") as proxy:
        yield proxy


TRAFFICSERVER_SUITE = "bookworm"
"""Debian's last release with a trafficserver package (none in any Debian 13 suite)."""


@contextlib.contextmanager
def trafficserver_system(bases: debroot.Bases, workdir: Path) -> Iterator[Path]:
    """Where Traffic Server is installed: "/" when this host has Debian's package (the fast
    path); on a release whose archive has none, a Debian 12 root with it installed (cached per
    day by debroot), mounted while the tests use it. chroot shares the host's network."""
    if shutil.which("traffic_server", path=SBIN):
        yield Path("/")
        return
    known = subprocess.run(["apt-cache", "show", "trafficserver"], capture_output=True)
    assert known.returncode != 0, "traffic_server not found: apt-get install trafficserver"
    try:
        root = bases.fresh(TRAFFICSERVER_SUITE, workdir / "root", packages=["trafficserver"])
    except AssertionError as exc:
        raise AssertionError(
            f"trafficserver is in no suite of this release; running Debian 12's from a "
            f"debootstrap root failed: {exc}"
        ) from None
    try:
        with root.mounted():
            yield root.path
    finally:
        root.remove()


@contextlib.contextmanager
def running_trafficserver(
    workdir: Path, origin_port: int, port: int, host: str, system: Path
) -> Iterator[Proxy]:
    """Traffic Server 9 in a private run root, staying root (admin.user_id #-1); `system`
    is where it is installed (trafficserver_system): its run root is made inside."""
    inside = workdir.resolve() / "ats"  # the run root as traffic_server sees it
    root = system / inside.relative_to("/")
    etc = root / "etc"
    shutil.copytree(system / "etc/trafficserver", etc, dirs_exist_ok=True)
    for name in ("cache", "var", "run", "log"):
        (root / name).mkdir(parents=True, exist_ok=True)
    (root / "runroot.yaml").write_text(_runroot(inside))
    records = (etc / "records.config").read_text()
    records += (CONTRIB / "trafficserver" / "records.config").read_text()
    records += f"CONFIG proxy.config.http.server_ports STRING {port}\n"
    records += "CONFIG proxy.config.admin.user_id STRING #-1\n"
    # Accept connections only once the cache is up: answering then means caching, even when
    # a busy disk makes the first run's 64 MB cache file slow to initialize.
    records += "CONFIG proxy.config.http.wait_for_cache INT 1\n"
    (etc / "records.config").write_text(records)
    remap = contrib_text("trafficserver/remap.config", origin_port)
    (etc / "remap.config").write_text(remap.replace("releases.example.org", host))
    (etc / "ip_allow.yaml").write_text((CONTRIB / "trafficserver/ip_allow.yaml").read_text())
    (etc / "storage.config").write_text(f"{inside / 'cache'} 64M\n")
    if system == Path("/"):
        args = [require("traffic_server", "trafficserver"), f"--run-root={root}"]
    else:
        run = f"exec /usr/bin/traffic_server --run-root={shlex.quote(str(inside))}"
        args = debroot.Root(system).command(run)
    workdir.mkdir(parents=True, exist_ok=True)
    with _running(args, workdir / "traffic_server.log", port, host) as proxy:
        yield proxy


def _runroot(root: Path) -> str:
    """runroot.yaml: Debian's binaries and modules, everything written under `root`."""
    usr = "/usr/lib/trafficserver"
    layout = {"prefix": root, "exec_prefix": "/usr", "bindir": "/usr/bin", "sbindir": "/usr/sbin"}
    layout |= {"sysconfdir": root / "etc", "datadir": root / "cache", "includedir": "/usr/include"}
    layout |= {"libdir": usr, "libexecdir": f"{usr}/modules", "localstatedir": root / "var"}
    layout |= {"runtimedir": root / "run", "logdir": root / "log", "cachedir": root / "cache"}
    return "".join(f"{k}: {v}\n" for k, v in layout.items())


@contextlib.contextmanager
def _running(args: list[str], log: Path, port: int, host: str) -> Iterator[Proxy]:
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
    try:
        proxy = Proxy(f"http://127.0.0.1:{port}", host, proc, log)
        _wait_until_answering(proxy)
        yield proxy
    finally:
        _stop(proc)


def _wait_until_answering(proxy: Proxy) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proxy.process.poll() is not None:
            break
        try:
            proxy.fetch("/")
            return
        except (OSError, http.client.HTTPException):
            time.sleep(0.1)
    raise AssertionError(f"{proxy.log.name} did not start: {proxy.log.read_text()[-2000:]}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the session the cache runs in, then SIGKILL to whatever of it is left
    (Traffic Server's crash-log helper waits stopped, where SIGTERM cannot reach it)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(5)
