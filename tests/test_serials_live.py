"""`snapfront serials freeze|thaw|resolve` run as a build runs them, against a running
snapfront: the session's sample host (read only) and a private copy where a serial is taken
between two resolves. A stub server in a thread gives the answers snapfront never gives.
(The same against a files-only nginx: tests/test_serials_anyhost.py.)"""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from snapfront.base.errors import Failed
from snapfront.sample import SampleHost
from snapfront.serials.remote import Remote
from tests.lifecycle_support import World, snapshot_cli
from tests.support import Running, fetch, running_server, with_listen

pytestmark = pytest.mark.live


def serials(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "snapfront.cli", "serials", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def make_dir(root: Path, **values: str | None) -> Path:
    """config/APT_snapshots.d with ORIGIN/serial per keyword (`_` spells `-`)."""
    for name, value in values.items():
        folder = root / name.replace("_", "-")
        folder.mkdir(parents=True)
        if value is not None:
            (folder / "serial").write_text(value + "\n")
    return root


def contents(directory: Path) -> dict[str, bytes]:
    return {p.parent.name: p.read_bytes() for p in sorted(directory.glob("*/serial"))}


def test_freeze_writes_the_trace_serial_except_the_exceptions_then_thaw(
    sample_host: SampleHost, server: Running, tmp_path: Path
) -> None:
    newest = sample_host.serials[1]
    trace = fetch(server.url + "debian/project/trace/debian").body.decode()
    assert f"Archive serial: {newest}\n" in trace
    snapshots = make_dir(tmp_path / "APT_snapshots.d", debian="latest", debian_security=None)
    frozen = serials("freeze", str(snapshots), "--from", server.url, "--except", "debian-security")
    assert frozen.returncode == 0, frozen.stderr
    assert contents(snapshots) == {"debian": f"{newest}\n".encode(), "debian-security": b"latest\n"}
    assert frozen.stdout == f"debian: {newest}\ndebian-security: latest\n"
    listing = sorted(p.name for p in snapshots.rglob("*"))
    assert listing == ["debian", "debian-security", "serial", "serial"]  # no temp files left

    # --config is accepted and ignored: these commands ask the host, not a local config
    thawed = serials("thaw", "--config", "/nonexistent.toml", str(snapshots))
    assert thawed.returncode == 0, thawed.stderr
    assert contents(snapshots) == {"debian": b"latest\n", "debian-security": b"latest\n"}


def test_an_unknown_serial_is_refused_with_the_list_and_nothing_is_printed(
    sample_host: SampleHost, server: Running, tmp_path: Path
) -> None:
    snapshots = make_dir(tmp_path / "d", debian="2000010101")
    refused = serials("resolve", str(snapshots), "--from", server.url)
    assert refused.returncode == 2
    old, new = sample_host.serials
    assert refused.stderr == (
        f"snapfront: debian: serial 2000010101 does not exist on {server.url}debian/; "
        f"serials that do: {old}, {new}\n"
    )
    assert refused.stdout == ""
    assert contents(snapshots) == {"debian": b"2000010101\n"}


def test_failures_are_one_line_and_write_nothing(server: Running, tmp_path: Path) -> None:
    snapshots = make_dir(tmp_path / "d", debian="latest", nosuch="latest")
    before = contents(snapshots)
    missing = serials("freeze", str(snapshots), "--from", server.url)  # debian is read first
    assert (missing.returncode, missing.stdout) == (1, "")
    assert missing.stderr == (
        f"snapfront: {server.url}nosuch/project/trace/nosuch: 404 Not Found "
        "(no trace: is nosuch an archive there?)\n"
    )
    assert contents(snapshots) == before
    closed = serials("freeze", str(snapshots), "--from", "http://127.0.0.1:9/")
    assert closed.returncode == 1
    assert closed.stderr == (
        "snapfront: cannot reach http://127.0.0.1:9/debian/project/trace/debian: "
        "connection refused\n"
    )
    typo = serials("freeze", str(snapshots), "--from", server.url, "--except", "debain")
    assert typo.returncode == 2
    assert (
        typo.stderr == "snapfront: --except: no origin directory debain (origins: debian, nosuch)\n"
    )
    assert contents(snapshots) == before
    empty = tmp_path / "empty"
    empty.mkdir()
    for args in (("thaw", str(empty)), ("resolve", str(tmp_path / "gone"), "--from", server.url)):
        result = serials(*args)
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("snapfront: ")
    assert (
        serials("thaw", str(tmp_path / "gone")).stderr
        == f"snapfront: {tmp_path}/gone: no such directory\n"
    )


@pytest.fixture
def private(world: World) -> Iterator[tuple[World, Running]]:
    """The lifecycle world served with a second origin, /debian-security/ (the same basedir
    under its own trace name), so a build has two origins to resolve."""
    config = with_listen(world.config, "127.0.0.1:0", world.dir / "serials.toml")
    text = config.read_text()
    config.write_text(text + '\n[[mount]]\nurl = "/debian-security/"\nkind = "snapshots"\n'
                      'root = "snapshots/debian"\n')  # fmt: skip
    with running_server(config) as running:
        yield world, running


def trace_serial(url: str, origin: str) -> str:
    return Remote(url, timeout=10).newest(origin)


def wait_for_trace(url: str, origin: str, serial: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while trace_serial(url, origin) != serial:
        assert time.monotonic() < deadline, f"the {origin} trace never named {serial}"
        time.sleep(0.2)


def test_resolve_is_stable_while_a_serial_is_taken(private, tmp_path: Path) -> None:
    world, server = private
    third = world.serials[2]
    wait_for_trace(server.url, "debian-security", third)
    snapshots = make_dir(tmp_path / "d", debian="latest", debian_security="latest")
    frozen = serials("freeze", str(snapshots), "--from", server.url, "--except", "debian-security")
    assert frozen.returncode == 0, frozen.stderr
    first = serials("resolve", str(snapshots), "--from", server.url, "--json")
    assert first.returncode == 0, first.stderr
    assert first.stdout == f'{{"debian": "{third}", "debian-security": "{third}"}}\n'
    inrelease = f"{server.url}debian/{third}/dists/bookworm/InRelease"
    before = fetch(inrelease).body

    taken = snapshot_cli(world, "take", "/debian/")  # a new serial while the "build" runs
    assert taken.returncode == 0, taken.stderr
    new = taken.stdout.strip()
    wait_for_trace(server.url, "debian-security", new)

    # What the build recorded at its start still resolves to the same serials and bytes ...
    recorded = make_dir(tmp_path / "recorded", debian=third, debian_security=third)
    again = serials("resolve", str(recorded), "--from", server.url)
    assert (again.returncode, again.stdout) == (0, f"debian: {third}\ndebian-security: {third}\n")
    assert fetch(inrelease).body == before
    # ... the frozen origin does not move; only `latest` does, when resolved anew.
    later = serials("resolve", str(snapshots), "--from", server.url)
    assert later.stdout == f"debian: {third}\ndebian-security: {new}\n"
    # and the list a refusal gives is the server's current one, the new serial included
    refused = serials("resolve", str(make_dir(tmp_path / "x", debian="2000010101")),
                      "--from", server.url)  # fmt: skip
    assert refused.returncode == 2
    assert refused.stderr.endswith(f"serials that do: {', '.join([*world.serials, new])}\n")


def test_a_serial_without_its_page_yet_is_found(world: World, tmp_path: Path) -> None:
    """`serve --no-watch` never renders a new serial's page, so `SERIAL/` is a plain 404
    (as it is for a moment under the watcher): the serial is found by its Release."""
    config = with_listen(world.config, "127.0.0.1:0", world.dir / "nowatch.toml")
    with running_server(config, "--no-watch") as server:
        taken = snapshot_cli(world, "take", "/debian/")
        assert taken.returncode == 0, taken.stderr
        new = taken.stdout.strip()
        assert fetch(f"{server.url}debian/{new}/").status == 404  # no page
        resolved = serials(
            "resolve", str(make_dir(tmp_path / "d", debian=new)), "--from", server.url
        )
        assert (resolved.returncode, resolved.stdout) == (0, f"debian: {new}\n"), resolved.stderr


class _Stub(http.server.BaseHTTPRequestHandler):
    answers: ClassVar[dict[str, tuple[int, bytes, float]]] = {}

    def do_GET(self) -> None:
        status, body, delay = self.answers.get(self.path, (404, b"nothing here\n", 0.0))
        time.sleep(delay)
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        try:
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client timed out first (the slow answer)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def stub() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_answers_snapfront_never_gives(stub: str, tmp_path: Path) -> None:
    _Stub.answers = {
        "/debian/project/trace/debian": (200, b"<html>a captive portal</html>\n", 0.0),
        "/tor/project/trace/tor": (503, b"busy\n", 0.0),
        "/slow/project/trace/slow": (200, b"Archive serial: 2026112101\n", 2.0),
        "/tails/2026112101/dists/stable/Release": (403, b"Forbidden\n", 0.0),
    }
    snapshots = make_dir(tmp_path / "d", debian="latest")
    portal = serials("resolve", str(snapshots), "--from", stub)
    assert (portal.returncode, portal.stdout) == (1, "")
    assert portal.stderr == (
        f"snapfront: {stub}debian/project/trace/debian: no 'Archive serial:' line "
        "(is this a trace file?)\n"
    )
    forbidden = serials(
        "resolve", str(make_dir(tmp_path / "e", tails="2026112101")), "--from", stub
    )
    assert (forbidden.returncode, forbidden.stdout) == (1, "")
    assert forbidden.stderr == (
        f"snapfront: {stub}tails/2026112101/dists/stable/Release: 403 Forbidden\n"
    )
    with pytest.raises(Failed, match=r"tor/project/trace/tor: 503 Service Unavailable$"):
        Remote(stub).newest("tor")
    with pytest.raises(Failed, match=r"slow/project/trace/slow: timed out after 0\.5 s$"):
        Remote(stub, timeout=0.5).newest("slow")
