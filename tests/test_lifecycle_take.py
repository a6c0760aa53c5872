"""`snapfront snapshot take` (and the CLI's refusals) on a real reprepro basedir."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest

from snapfront.basedir import tools
from tests.lifecycle_support import (
    CODENAMES,
    World,
    references,
    snapshot_cli,
    tree_hash,
)

pytestmark = pytest.mark.live


def expected_next(world: World, after: int) -> str:
    """The serial after `after` takes today (the template was built today, unless midnight
    UTC passed since: then today's first)."""
    today = dt.datetime.now(dt.UTC).strftime("%Y%m%d")
    start = 3 if world.serials[0].startswith(today) else 0
    return f"{today}{start + after:02d}"


def assert_complete(world: World, serial: str) -> None:
    refs = references(world)
    for codename in CODENAMES:
        directory = world.snapshot(codename, serial)
        assert tools.gpgv([directory / "InRelease"], world.keyring)[0]
        assert tools.gpgv([directory / "Release.gpg", directory / "Release"], world.keyring)[0]
        assert any(line.startswith(f"s={codename}={serial} ") for line in refs)


def listing(world: World) -> dict:
    listed = snapshot_cli(world, "list", "/debian/", "--json")
    assert listed.returncode == 0, listed.stderr
    return json.loads(listed.stdout)


def test_two_takes_give_the_next_two_serials_alone_on_stdout(world: World) -> None:
    first = snapshot_cli(world, "take", "/debian/")
    second = snapshot_cli(world, "take", "/debian/")
    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert first.stdout == expected_next(world, 1) + "\n"
    assert second.stdout == expected_next(world, 2) + "\n"
    for serial in (first.stdout.strip(), second.stdout.strip()):
        assert_complete(world, serial)
    data = listing(world)
    assert data["trace"] == second.stdout.strip()
    rows = {row["serial"]: row for row in data["serials"]}
    assert set(rows) == {*world.serials, first.stdout.strip(), second.stdout.strip()}
    assert rows[data["trace"]]["codenames"] == sorted(CODENAMES)
    assert rows[data["trace"]]["days_left"] in (364, 365)  # ValidFor: 365d


def test_existing_serial_is_refused_and_nothing_changes(world: World) -> None:
    before = tree_hash(world.root)
    refused = snapshot_cli(world, "take", "/debian/", "--serial", world.serials[1])
    assert refused.returncode == 2
    assert refused.stderr == (
        f"snapfront: serial {world.serials[1]} already exists for {', '.join(CODENAMES)}\n"
    )
    assert refused.stdout == ""
    assert tree_hash(world.root) == before  # db/ included: gensnapshot never ran


def test_refusals_are_one_line_exit_2_and_change_nothing(world: World) -> None:
    before = tree_hash(world.dir, skip=("gnupg",))
    cases = {
        ("take", "/apt/"): "mount: /apt/ is a repository mount, not snapshots",
        ("gc", "/"): "mount: / is a files mount, not snapshots",
        ("list", "/nowhere/"): "mount: no mount at /nowhere/ (snapshots mounts: /debian/)",
        ("take", "/debian/", "--serial", "2026133101"): "2026133101: 20261331 is not a date",
        ("gc", "/debian/", "--keep", "-1"): "--keep must be 0 or more",
        ("resign", "/debian/"): "resign: name the serials, or --all (not both)",
    }
    for args, message in cases.items():
        got = snapshot_cli(world, *args)
        assert got.returncode == 2, (args, got.stderr)
        assert got.stderr.count("\n") == 1 and got.stderr.startswith("snapfront: "), got.stderr
        assert message in got.stderr, got.stderr
        assert got.stdout == ""
    assert tree_hash(world.dir, skip=("gnupg",)) == before


@pytest.mark.parametrize(
    ("args", "present", "says"),
    [
        (("take", "/debian/"), ("gpg", "gpgv"), "reprepro not found: apt-get install reprepro"),
        (("bump", "/debian/", "SERIAL", "--days", "3"), ("reprepro", "gpgv"),
         "gpg not found: apt-get install gnupg"),
        (("resign", "/debian/", "--all"), ("reprepro", "gpgv"),
         "gpg not found: apt-get install gnupg"),
        (("take", "/debian/"), ("reprepro", "gpgv"), "gpg not found: apt-get install gnupg"),
    ],
    ids=["take-reprepro", "bump-gpg", "resign-gpg", "take-gpg"],
)  # fmt: skip
def test_a_missing_tool_names_its_package(
    world: World, tmp_path, args: tuple[str, ...], present: tuple[str, ...], says: str
) -> None:
    """PATH holds only symlinks to the other tools: the command refuses, changing nothing."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in present:
        os.symlink(subprocess.check_output(["which", tool], text=True).strip(), bin_dir / tool)
    args = tuple(world.serials[0] if a == "SERIAL" else a for a in args)
    before = tree_hash(world.root)
    got = snapshot_cli(world, *args, env={"PATH": str(bin_dir)})
    assert (got.returncode, got.stdout) == (2, "")
    assert got.stderr == f"snapfront: {says}\n"
    assert tree_hash(world.root) == before


def test_concurrent_takes_get_distinct_complete_serials(world: World) -> None:
    env = {**os.environ, "GNUPGHOME": str(world.gnupghome)}
    cmd = [sys.executable, "-m", "snapfront.cli", "snapshot", "take", "--config"]
    procs = [
        subprocess.Popen([*cmd, str(world.config), "/debian/"], env=env, text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]  # fmt: skip
    results = [(p.wait(timeout=300), p.stdout.read(), p.stderr.read()) for p in procs]
    for proc in procs:
        proc.stdout.close()
        proc.stderr.close()
    assert [r[0] for r in results] == [0, 0], results
    serials = sorted(r[1].strip() for r in results)
    assert serials == [expected_next(world, 1), expected_next(world, 2)]
    for serial in serials:
        assert_complete(world, serial)


def test_take_without_the_signing_key_is_refused_naming_gnupghome(world: World, tmp_path) -> None:
    """The key SignWith names is looked for before reprepro runs: nothing to roll back, and
    the one line says where it looked and how to point elsewhere (as bump does)."""
    empty = tmp_path / "empty-gnupg"
    empty.mkdir(mode=0o700)
    before = tree_hash(world.root)
    got = snapshot_cli(world, "take", "/debian/", env={"GNUPGHOME": str(empty)})
    assert got.returncode == 2, got.stderr
    assert got.stdout == ""
    assert got.stderr.count("\n") == 1, got.stderr
    assert got.stderr.startswith(
        f"snapfront: bookworm: no secret key {world.fingerprint} in GNUPGHOME {empty}: "
    ), got.stderr
    assert "--gnupghome DIR (or GNUPGHOME)" in got.stderr
    assert tree_hash(world.root) == before  # db/ included: reprepro never ran
    subprocess.run(["gpgconf", "--kill", "all"], env={**os.environ, "GNUPGHOME": str(empty)})


def test_take_failing_on_the_second_codename_undoes_the_first(world: World) -> None:
    """bookworm's gensnapshot succeeds (references added), jessie/updates' cannot sign (its
    SignWith hook fails: a missing key is refused before reprepro runs)."""
    conf = world.root / "conf" / "distributions"
    original = conf.read_text()
    stanzas = original.split("\n\n")
    assert "Codename: jessie/updates" in stanzas[1]
    stanzas[1] = stanzas[1].replace(world.fingerprint, "!/bin/false")
    conf.write_text("\n\n".join(stanzas))
    outside_db = tree_hash(world.root, skip=("db",))
    refs = references(world)
    serial = expected_next(world, 1)
    got = snapshot_cli(world, "take", "/debian/")
    assert got.returncode == 1, got.stderr
    assert got.stderr.startswith(f"snapfront: take {serial} failed: "), got.stderr
    assert got.stderr.count("\n") == 1
    assert references(world) == refs  # bookworm's s=bookworm=SERIAL references are gone again
    assert tree_hash(world.root, skip=("db",)) == outside_db
    conf.write_text(original)
    again = snapshot_cli(world, "take", "/debian/")
    assert again.stdout == f"{serial}\n"  # the failed serial was not burnt
    assert_complete(world, serial)
