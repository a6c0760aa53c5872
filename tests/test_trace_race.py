"""From the moment the trace names a serial, every worker serves it (issue 9, failure 5).

Build tools (Tails') read the trace's `Archive serial:` and fetch that snapshot's InRelease at
once. A worker that re-read its serials only on a miss, at most once a second, let a stream of
other misses (unknown codenames) use up that slot, and answered 404 for a serial the trace
already named. Real reprepro gensnapshot, a real server with one and with two workers."""

from __future__ import annotations

import re
import threading
import time

import pytest

from snapfront import sample
from tests.support import fetch, running_server, with_listen

pytestmark = pytest.mark.live


ROUNDS = 6
TRACE = "/debian/project/trace/debian"


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> sample.SampleHost:
    sample.require_tools()
    return sample.build_sample_host(tmp_path_factory.mktemp("race") / "host")


def _serial(trace: bytes) -> str:
    found = re.search(rb"^Archive serial: (\d{10})$", trace, re.M)
    return found.group(1).decode() if found else ""


@pytest.mark.parametrize("workers", [1, 2])
def test_a_serial_named_by_the_trace_is_served_at_once(
    host: sample.SampleHost, workers: int
) -> None:
    config = with_listen(host.config, "127.0.0.1:0", host.dir / f"race{workers}.toml")
    config.write_text(config.read_text().replace("[server]\n", f"[server]\nworkers = {workers}\n"))
    failures: list[str] = []
    named: list[str] = []
    stop = threading.Event()
    with running_server(config) as server:
        base = server.url.rstrip("/")

        def follow_the_trace() -> None:  # what a Tails build does, as fast as it can
            seen = _serial(fetch(base + TRACE).body)
            while not stop.is_set():
                serial = _serial(fetch(base + TRACE).body)
                if serial and serial != seen:
                    seen = serial
                    named.append(serial)
                    for codename in ("bookworm", "jessie/updates"):
                        path = f"/debian/{serial}/dists/{codename}/InRelease"
                        status = fetch(base + path).status
                        if status != 200:
                            failures.append(f"{path}: {status}")
                time.sleep(0.005)

        def unknown_codenames() -> None:  # misses that used up the re-read slot
            n = 0
            while not stop.is_set():
                n += 1
                fetch(f"{base}/debian/{host.serials[0]}/dists/nosuch{n}/InRelease")
                time.sleep(0.05)

        threads = [threading.Thread(target=f) for f in (follow_the_trace, unknown_codenames)]
        for thread in threads:
            thread.start()
        day = host.serials[0][:8]
        try:
            for round_ in range(ROUNDS):
                serial = f"{day}{10 * workers + round_ + 10:02d}"
                try:
                    for codename in ("bookworm", "jessie/updates"):
                        sample.reprepro(
                            host.snapshots_root, host.gnupghome, "gensnapshot", codename, serial
                        )
                finally:
                    sample.stop_agent(host.gnupghome)
                deadline = time.monotonic() + 5
                while serial not in named and time.monotonic() < deadline:
                    time.sleep(0.02)
                assert serial in named, f"the trace never named {serial}"
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
    assert not failures, f"served serials answered 404 right after the trace named them: {failures}"
