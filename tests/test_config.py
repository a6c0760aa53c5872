"""Bad configs: one line on stderr naming the file and the key, exit 2, nothing served."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.live


CHECKOUT = Path(__file__).resolve().parent.parent
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
        # a typo names the key it most likely meant
        (
            '[server]\noutput = "out"\nlisen = "127.0.0.1:8080"\n' + GOOD_MOUNT,
            "server.lisen: unknown key (did you mean listen?)",
        ),
        (
            '[server]\noutput = "out"\n[[mount]]\nurl = "/a/"\nkind = "files"\nrot = "root"\n',
            "mount[0].rot: unknown key (did you mean root?)",
        ),
        ('[sever]\noutput = "out"\n' + GOOD_MOUNT, "sever: unknown key (did you mean server?)"),
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


def _leaves(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """(command words, parser) for every command and sub-action of the CLI."""
    groups = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for action in groups:
        for name, sub in action.choices.items():
            yield from _leaves(sub, (*path, name))
    if path and not groups:
        yield path, parser


def test_config_defaults_to_the_debian_package_file() -> None:
    """Every command that reads a config documents --config and reads /etc/snapfront without
    it; when that file is missing, the contract's one line, exit 2."""
    from snapfront.base.config import DEFAULT_PATH
    from snapfront.cli import make_parser

    def cli(*args: str) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "snapfront.cli", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=CHECKOUT)

    reading = []
    for path, parser in _leaves(make_parser()):
        option = next(a for a in parser._actions if "--config" in a.option_strings)
        assert option.help, path
        if path[0] not in ("demo", "serials"):  # these two take --config and ignore it
            assert (option.default, option.required) == (DEFAULT_PATH, False), path
            assert DEFAULT_PATH in option.help, path
            reading.append(path)
    assert len(reading) >= 12, reading
    assert f"(default: {DEFAULT_PATH})" in " ".join(cli("rules", "--help").stdout.split())
    result = cli("check-config")
    if os.path.exists(DEFAULT_PATH):  # the package is installed here: it was read
        assert DEFAULT_PATH in result.stdout + result.stderr
    else:
        assert result.returncode == 2, result
        assert result.stdout == ""
        first = f"snapfront: {DEFAULT_PATH}: cannot read: No such file or directory"
        assert result.stderr.strip().splitlines() == [f"{first} (the default; give --config FILE)"]


def test_check_config_warns_of_a_root_that_is_no_basedir(tmp_path: Path) -> None:
    """A snapshots, repository or tagged root without conf/distributions and dists/ (a typo in
    `root`, a tag without its archive) still validates, with one warning line each."""
    for empty in ("snap", "tagged/5.0/debian", "tagged/6.0/debian/dists", "repo/conf"):
        (tmp_path / empty).mkdir(parents=True)
    (tmp_path / "repo/conf/distributions").write_text("Codename: bookworm\n")
    mounts = [("/debian/", "snapshots", "snap"), ("/tagged/", "tagged", "tagged")]
    mounts += [("/apt/", "repository", "repo"), ("/t2/", "tagged", "root"), ("/", "files", "root2")]
    text = '[server]\noutput = "out"\n' + "".join(
        f'[[mount]]\nurl = "{url}"\nkind = "{kind}"\nroot = "{root}"\n'
        for url, kind, root in mounts
    )
    result = run(tmp_path, text)
    assert result.returncode == 0, result.stderr
    head = f"snapfront: {tmp_path / 'snapfront.toml'}: warning: "
    neither = "has neither conf/distributions nor dists/"
    assert result.stderr.splitlines() == [
        f"{head}mount[0]: {tmp_path / 'snap'} {neither}: not a reprepro basedir or outdir (a wrong root?)",
        f"{head}mount[1]: {tmp_path / 'tagged/5.0/debian'} {neither}: not a reprepro basedir or outdir (a wrong root?)",
        f"{head}mount[3]: {tmp_path / 'root'} holds no TAG/ARCHIVE directory (a tagged mount's layout)",
    ]  # fmt: skip


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


# --- [health], [metrics] and the reserved /-/ prefix ---------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[health]\nmax_serial_age = "soon"\n', "health.max_serial_age"),
        ('[health]\nmin_free = "lots"\n', "health.min_free"),
        ("[health]\nbogus = 1\n", "health.bogus"),
        ('[metrics]\nallow = ["10.0.0.0/33"]\n', "metrics.allow"),
        ('[metrics]\nallow = "127.0.0.1"\n', "metrics.allow"),
    ],
)
def test_bad_health_and_metrics_keys(tmp_path: Path, text: str, key: str) -> None:
    result = run(tmp_path, '[server]\noutput = "out"\n' + GOOD_MOUNT + text)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and f": {key}: " in result.stderr, result.stderr


@pytest.mark.parametrize("url", ["/-/", "/-/x/", "/-/static/"])
def test_a_mount_at_or_below_the_reserved_prefix_is_refused(tmp_path: Path, url: str) -> None:
    result = run(
        tmp_path,
        f'[server]\noutput = "out"\n[[mount]]\nurl = "{url}"\nkind = "files"\nroot = "root"\n',
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and ": mount[0].url: /-/ is reserved" in result.stderr


def test_a_dash_directory_under_a_root_mount_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "root" / "-").mkdir(parents=True)
    result = run(
        tmp_path, '[server]\noutput = "out"\n[[mount]]\nurl = "/"\nkind = "files"\nroot = "root"\n'
    )
    assert result.returncode == 0
    assert "warning: mount[0]:" in result.stderr and "/root/- is never served" in result.stderr
    result = run(
        tmp_path,
        '[server]\noutput = "out"\n[[mount]]\nurl = "/x-/"\nkind = "files"\nroot = "root"\n',
    )
    assert result.returncode == 0 and "warning" not in result.stderr
