"""Bad configs: one line on stderr naming the file and the key, exit 2, nothing served."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

GOOD_MOUNT = '[[mount]]\nurl = "/debian/"\nkind = "snapshots"\nroot = "root"\n'


def run(tmp_path: Path, text: str, command: str = "check-config") -> subprocess.CompletedProcess:
    (tmp_path / "root").mkdir(exist_ok=True)
    (tmp_path / "root2").mkdir(exist_ok=True)
    (tmp_path / "key.gpg").write_bytes(b"x")
    config = tmp_path / "snapfront.toml"
    config.write_text(text)
    return subprocess.run(
        [sys.executable, "-m", "snapfront.cli", command, "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[server]\nlisten = "127.0.0.1:0"\n' + GOOD_MOUNT, "server.output: required"),
        (
            '[server]\noutput = "out"\nlisten = "localhost"\n' + GOOD_MOUNT,
            "server.listen: must be HOST:PORT",
        ),
        (
            '[server]\noutput = "out"\nlisten = "127.0.0.1:99999"\n' + GOOD_MOUNT,
            "server.listen: must be HOST:PORT",
        ),
        (
            '[server]\noutput = "out"\nworkers = 0\n' + GOOD_MOUNT,
            "server.workers: must be an integer >= 1",
        ),
        ('[server]\noutput = "out"\nworkers = "many"\n' + GOOD_MOUNT, "server.workers:"),
        (
            '[server]\noutput = "out"\npublic_url = "releases.example.org"\n' + GOOD_MOUNT,
            "server.public_url: must be an absolute",
        ),
        ('[server]\noutput = "out"\nport = 80\n' + GOOD_MOUNT, "server.port: unknown key"),
        ('[server]\noutput = "out"\n', "mount: at least one [[mount]] is required"),
        (
            '[server]\noutput = "out"\n[[mount]]\nurl = "/a/"\nkind = "files"\n',
            "mount[0].root: required",
        ),
        (
            '[server]\noutput = "out"\n[[mount]]\nurl = "/a/"\nkind = "files"\nroot = "nowhere"\n',
            "mount[0].root: no such directory",
        ),
        (
            '[server]\noutput = "out"\n[[mount]]\nurl = "a/"\nkind = "files"\nroot = "root"\n',
            "mount[0].url: must start and end with",
        ),
        (
            '[server]\noutput = "out"\n[[mount]]\nurl = "/a"\nkind = "files"\nroot = "root"\n',
            "mount[0].url: must start and end with",
        ),
        (
            '[server]\noutput = "out"\n[[mount]]\nurl = "/a/"\nkind = "mirror"\nroot = "root"\n',
            "mount[0].kind: must be one of snapshots | repository | tagged | files",
        ),
        (
            '[server]\noutput = "out"\n[[mount]]\nurl = "/a/"\nkind = "files"\nroot = "root"\nsize = 3\n',
            "mount[0].size: unknown key",
        ),
        (
            '[server]\noutput = "out"\n[[mount]]\nurl = "/a/"\nkind = "files"\nroot = "root"\n[[mount]]\nurl = "/a/"\nkind = "files"\nroot = "root2"\n',
            "mount[1].url: duplicate of mount[0]",
        ),
        (
            '[server]\noutput = "out"\n[[mount]]\nurl = "/a/"\nkind = "files"\nroot = "root"\nkeyring = "missing.gpg"\n',
            "mount[0].keyring: no such file",
        ),
        (
            '[server]\noutput = "out"\n[[mount]]\nurl = "/a/"\nkind = "files"\nroot = "root"\ntrace = "../x"\n',
            "mount[0].trace: must be a file name",
        ),
        ('[server]\noutput = "root/out"\n' + GOOD_MOUNT, "server.output: overlaps mount[0].root"),
        (
            '[server]\noutput = "out"\n[cache]\nimmutable = 5\n' + GOOD_MOUNT,
            "cache.immutable: must be a non-empty string",
        ),
        (
            '[server]\noutput = "out"\n[cache]\nforever = "x"\n' + GOOD_MOUNT,
            "cache.forever: unknown key",
        ),
        (
            '[server]\noutput = "out"\n[cache]\nfiles = "public"\n' + GOOD_MOUNT,
            "cache.files: must contain max-age",
        ),
        (
            '[server]\noutput = "out"\n[cache]\nsigned-metadata = "max-age=60, '
            'stale-while-revalidate=9"\n' + GOOD_MOUNT,
            "cache.signed-metadata: must not allow stale-while-revalidate",
        ),
        (
            '[server]\noutput = "out"\n[watch]\nquiet = -1\n' + GOOD_MOUNT,
            "watch.quiet: must be > 0",
        ),
        (
            '[server]\noutput = "out"\nheader_timeout = 0\n' + GOOD_MOUNT,
            "server.header_timeout: must be > 0",
        ),
        (
            '[server]\noutput = "out"\nkeepalive_timeout = "75s"\n' + GOOD_MOUNT,
            "server.keepalive_timeout: must be a number of seconds",
        ),
        (
            '[server]\noutput = "out"\nsend_timeout = inf\n' + GOOD_MOUNT,
            "server.send_timeout: must be > 0 and finite",
        ),
        (
            '[server]\noutput = "out"\nmax_connections = 0\n' + GOOD_MOUNT,
            "server.max_connections: must be an integer >= 1",
        ),
        (
            '[server]\noutput = "out"\nmax_connections = 10.5\n' + GOOD_MOUNT,
            "server.max_connections: must be an integer >= 1",
        ),
        (
            '[server]\noutput = "out"\n[[cdn]]\npurge = "varnish:6081"\n' + GOOD_MOUNT,
            "cdn[0].purge: must be an http(s) URL",
        ),
        ('[server]\noutput = "out"\n[mirror]\nx = 1\n' + GOOD_MOUNT, "mirror: unknown key"),
        ('[server\noutput = "out"\n', "invalid TOML"),
    ],
)
@pytest.mark.parametrize("command", ["check-config", "serve"])
def test_bad_config_names_file_and_key(
    tmp_path: Path, text: str, expected: str, command: str
) -> None:
    result = run(tmp_path, text, command)
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"snapfront: {tmp_path / 'snapfront.toml'}: ")
    assert expected in lines[0]
    assert result.stdout == ""
    assert not (tmp_path / "out").exists(), "nothing may be written for a bad config"


def test_missing_config_file(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "snapfront.cli", "check-config", "--config", str(tmp_path / "nope.toml")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith(f"snapfront: {tmp_path / 'nope.toml'}: cannot read")


def test_good_config_prints_mounts_with_resolved_paths(tmp_path: Path) -> None:
    text = (
        '[server]\noutput = "out"\nworkers = "auto"\n' + GOOD_MOUNT
        + '[[mount]]\nurl = "/"\nkind = "files"\nroot = "root2"\nkeyring = "key.gpg"\n'
    )  # fmt: skip
    result = run(tmp_path, text)
    assert result.returncode == 0, result.stderr
    assert "listen 127.0.0.1:8080" in result.stdout
    assert f"/debian/\tsnapshots\t{tmp_path / 'root'}\ttrace=debian" in result.stdout
    assert (
        f"/\tfiles\t{tmp_path / 'root2'}\ttrace=archive keyring={tmp_path / 'key.gpg'}"
        in result.stdout
    )
