"""`snapfront demo`'s printed instructions, against the demo itself: its address (also in
DIR/url, so examples need not assume 8080), keyrings fetched from the host into
/etc/apt/keyrings/ (never a path inside DIR, which _apt may not read), and deb lines whose
suites answer. tests/test_install.py follows them with apt-get in a Debian root."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.rootdemo import wait_for_banner
from tests.support import fetch

pytestmark = pytest.mark.live


def test_the_demo_prints_apt_lines_that_work_wherever_it_lives(tmp_path: Path) -> None:
    demo = tmp_path / "private" / "demo"
    demo.parent.mkdir(mode=0o700)
    proc = subprocess.Popen(
        [sys.executable, "-m", "snapfront.cli", "demo", "--dir", str(demo),
         "--listen", "127.0.0.1:0"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        lines = wait_for_banner(proc, timeout=120)
        printed = "\n".join(lines)
        base = lines[-1].removeprefix("listening on ").rstrip("/")
        assert not base.endswith(":0")
        assert (demo / "url").read_text() == base + "\n"
        assert f"URL: {base} (in {demo / 'url'})" in lines
        assert str(demo) not in "\n".join(x for x in lines if "deb " in x or "curl " in x)
        fetches = re.findall(r"(?m)^  curl -fsSL (\S+) -o (/etc/apt/keyrings/\w+\.gpg)$", printed)
        assert [path for _, path in fetches] == [
            "/etc/apt/keyrings/debian.gpg", "/etc/apt/keyrings/apt.gpg",
            "/etc/apt/keyrings/tagged.gpg",
        ]  # fmt: skip
        for url, _ in fetches:
            assert fetch(url).body == (demo / "keyring.gpg").read_bytes(), url
        debs = re.findall(r"(?m)^  deb \[signed-by=(\S+)\] (\S+) (\S+) main$", printed)
        assert len(debs) == 6, printed
        mounts = {path: url.removesuffix("keyring.gpg") for url, path in fetches}
        for keyring, url, suite in debs:  # signed by the key fetched from its own mount
            assert url.startswith(mounts[keyring]), (keyring, url)
            assert fetch(f"{url}dists/{suite}/InRelease").status == 200, (url, suite)
        assert "  install -d -m 0755 /etc/apt/keyrings" in lines
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert proc.stdout is not None
        proc.stdout.close()
