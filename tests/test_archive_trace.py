"""basedir.release and generator.trace against archives built here by real reprepro and gpg."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from snapfront.basedir import release as archive_mod
from snapfront.basedir import tools
from snapfront.basedir.inventory import read_archive, serials_on_disk
from snapfront.basedir.release import (
    GpgvMissing,
    is_complete,
    newest_complete_serial,
    read_distribution,
)
from snapfront.generator.model import Validity, validity
from snapfront.generator.trace import date_r, date_u, snapshots_trace, trace_text
from snapfront.rewrite_rules.model import Archive
from snapfront.sample import (
    make_deb,
    make_key,
    make_source,
    reprepro,
    require_tools,
    stop_agent,
    write_distributions,
)

pytestmark = pytest.mark.live


OLD, NEW, NEWER = "2024010101", "2024010102", "2024010103"
CODENAMES = ("bookworm", "jessie/updates")
DAY = 86400
HOUR = 3600
SIGNED_FAMILY = ("Release", "InRelease", "Release.gpg")


@dataclass(frozen=True)
class World:
    basedir: Path
    gnupghome: Path
    keyring: Path
    other_inrelease: bytes  # NEW bookworm's Release, clearsigned by another key
    other_release_gpg: bytes  # ... and detached-signed by it
    started: int
    finished: int

    def snapshot(self, codename: str, serial: str, root: Path | None = None) -> Path:
        return (root or self.basedir) / "dists" / codename / "snapshots" / serial


def require_gpgv() -> None:
    require_tools()  # a missing tool fails, naming its Debian package: never a skip
    if shutil.which("gpgv") is None:
        pytest.fail("gpgv not found: apt-get install gpgv")


def gpg(home: Path, *args: str | Path) -> bytes:
    cmd = ["gpg", "--batch", "--no-tty", "--homedir", str(home), *map(str, args)]
    return subprocess.run(cmd, check=True, capture_output=True).stdout


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """bookworm (ValidFor: 3d, i386 + amd64, sources) and jessie/updates (no ValidFor, no Label,
    no sources), both snapshotted as OLD then NEW; plus files signed by a second key."""
    require_gpgv()
    top = tmp_path_factory.mktemp("archive")
    home, other_home = top / "gnupg", top / "other-gnupg"
    try:
        fpr, other = make_key(home), make_key(other_home)
        basedir = top / "debian"
        common = {"Origin": "snapfront test", "SignWith": fpr}
        write_distributions(
            basedir,
            [
                {
                    "Codename": "bookworm",
                    "Label": "Test snapshots",
                    **common,
                    "ValidFor": "3d",
                    "Architectures": "amd64 i386 source",
                    "Components": "main contrib",
                },
                {
                    "Codename": "jessie/updates",
                    **common,
                    "Architectures": "amd64",
                    "Components": "main",
                },
            ],
        )
        started = int(time.time())
        work = top / "work"
        work.mkdir()
        old_deb, new_deb = make_deb(work, "hello", "1.0-1"), make_deb(work, "hello", "1.1-1")
        reprepro(basedir, home, "includedsc", "bookworm", str(make_source(work, "hello", "1.0-1")))
        for codename in CODENAMES:
            reprepro(basedir, home, "includedeb", codename, str(old_deb))
            reprepro(basedir, home, "gensnapshot", codename, OLD)
        reprepro(basedir, home, "includedeb", "bookworm", str(new_deb))
        for codename in CODENAMES:
            reprepro(basedir, home, "gensnapshot", codename, NEW)
        finished = int(time.time()) + 1
        keyring = top / "keyring.gpg"
        gpg(home, "--output", keyring, "--export", fpr)
        release = basedir / "dists/bookworm/snapshots" / NEW / "Release"
        inrelease = gpg(other_home, "--local-user", other, "--clearsign", "--output", "-", release)
        detached = gpg(
            other_home, "--local-user", other, "--armor", "--detach-sign", "--output", "-", release
        )
    finally:
        for gnupghome in (home, other_home):
            if gnupghome.exists():
                stop_agent(gnupghome)
    return World(basedir, home, keyring, inrelease, detached, started, finished)


def copy_basedir(world: World, dest: Path) -> Path:
    shutil.copytree(world.basedir, dest, symlinks=True)
    return dest


def stage_by_hand(source: Path, dest: Path) -> None:
    """What reprepro has written of a snapshot before its signatures: index files, then Release."""
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if path.is_file() and rel.parts[0] not in SIGNED_FAMILY:  # component Releases are indexes
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest / rel)
    shutil.copy2(source / "Release", dest / "Release")


def serial_of(found: tuple[str, int] | None) -> str | None:
    return found[0] if found else None


def mtime(path: Path) -> int:
    return path.stat().st_mtime_ns // 1_000_000_000


# read_distribution


def test_snapshot_distribution(world: World) -> None:
    dist = read_distribution(str(world.snapshot("bookworm", NEW)))
    assert dist is not None
    assert dist.codename == "bookworm"
    assert dist.suite == f"bookworm/snapshots/{NEW}"
    assert (dist.origin, dist.label) == ("snapfront test", "Test snapshots")
    assert dist.architectures == ("amd64", "i386")  # conf order kept, "source" dropped
    assert dist.components == ("main", "contrib")
    assert dist.date is not None and world.started - 1 <= dist.date <= world.finished
    assert dist.valid_until is not None and abs(dist.valid_until - dist.date - 3 * DAY) <= 1
    assert dist.signed and dist.has_sources


def test_validity_around_valid_until(world: World) -> None:
    dist = read_distribution(str(world.snapshot("bookworm", OLD)))
    assert dist is not None and dist.valid_until is not None and dist.date is not None
    until = dist.valid_until
    assert validity(until, dist.date, 48 * HOUR) is Validity.VALID  # 72 h ahead
    assert validity(until, dist.date) is Validity.EXPIRING  # within the default 7 days
    assert validity(until, until - 49 * HOUR, 48 * HOUR) is Validity.VALID
    assert validity(until, until - 47 * HOUR, 48 * HOUR) is Validity.EXPIRING
    assert validity(until, until - 1) is Validity.EXPIRING
    assert validity(until, until + 1) is Validity.EXPIRED


def test_distribution_without_valid_for(world: World) -> None:
    dist = read_distribution(str(world.snapshot("jessie/updates", NEW)))
    assert dist is not None
    assert (dist.codename, dist.suite) == ("jessie/updates", f"jessie/updates/snapshots/{NEW}")
    assert (dist.label, dist.architectures, dist.components) == ("", ("amd64",), ("main",))
    assert (
        dist.valid_until is None and validity(dist.valid_until, time.time()) is Validity.UNLIMITED
    )
    assert dist.signed and not dist.has_sources


def test_repository_distribution_has_no_suite_field(world: World) -> None:
    dist = read_distribution(str(world.basedir / "dists" / "bookworm"))
    assert dist is not None
    assert (dist.codename, dist.suite) == ("bookworm", "bookworm")  # reprepro writes no Suite:


def test_release_only_signature_and_sources_on_disk(world: World, tmp_path: Path) -> None:
    source = world.snapshot("jessie/updates", NEW)
    shutil.copy2(source / "Release", tmp_path / "Release")
    dist = read_distribution(str(tmp_path))
    assert dist is not None and not dist.signed and not dist.has_sources
    assert not is_complete(str(tmp_path), None)
    shutil.copy2(source / "Release.gpg", tmp_path / "Release.gpg")
    dist = read_distribution(str(tmp_path))
    assert dist is not None and dist.signed
    assert is_complete(str(tmp_path), str(world.keyring))  # gpgv Release.gpg Release
    (tmp_path / "main" / "source").mkdir(parents=True)
    (tmp_path / "main" / "source" / "Sources.gz").write_bytes(b"")
    dist = read_distribution(str(tmp_path))
    assert dist is not None and dist.has_sources


@pytest.mark.parametrize(
    "text",
    [
        b"",
        b"\x00\xff garbage without any field\n",
        b"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n",
        b"Codename: bookworm\nDate: yesterday-ish\n",
        b"Codename: bookworm\nValid-Until: Sun, 99 Nov 2026 03:11:45 UTC\n",
        b"Codename: bookworm\nSHA256: not a list\n",
        b"Origin: no codename, no suite\n",
    ],
)
def test_malformed_release_is_none_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, text: bytes
) -> None:
    (tmp_path / "InRelease").write_bytes(text)
    with caplog.at_level(logging.WARNING, logger="snapfront.basedir.release"):
        assert read_distribution(str(tmp_path)) is None
    assert "InRelease" in caplog.text


def test_no_release_file_is_none(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "main").mkdir()
    assert read_distribution(str(tmp_path)) is None
    assert read_distribution(str(tmp_path / "gone")) is None
    assert caplog.text == ""  # a half-written snapshot is normal, not a warning


# completeness


def test_half_written_snapshot_is_never_named(world: World, tmp_path: Path) -> None:
    root = copy_basedir(world, tmp_path / "debian")
    keyring = str(world.keyring)
    for codename in CODENAMES:  # reprepro has written index files and Release, not yet signed
        stage_by_hand(world.snapshot(codename, NEW), world.snapshot(codename, NEWER, root))
    assert not any(NEWER in read_archive(str(root)).serials[c] for c in CODENAMES)  # no serial
    archive = Archive(CODENAMES, {c: serials_on_disk(str(root), c) for c in CODENAMES})
    assert all(NEWER in archive.serials[c] for c in CODENAMES)  # the directories, on disk
    assert newest_complete_serial(str(root), archive, keyring) == (
        NEW,
        max(mtime(world.snapshot(c, NEW, root) / "InRelease") for c in CODENAMES),
    )
    half = read_distribution(str(world.snapshot("bookworm", NEWER, root)))
    assert half is not None and not half.signed
    try:  # the real gensnapshot finishes one codename: the serial is still incomplete
        reprepro(root, world.gnupghome, "gensnapshot", "bookworm", NEWER)
        assert serial_of(newest_complete_serial(str(root), archive, keyring)) == NEW
        reprepro(root, world.gnupghome, "gensnapshot", "jessie/updates", NEWER)
    finally:
        stop_agent(world.gnupghome)
    signed = {"bookworm": 1_800_000_007, "jessie/updates": 1_800_000_003}  # the newest one counts
    for codename, when in signed.items():
        os.utime(world.snapshot(codename, NEWER, root) / "InRelease", (when, when))
    assert newest_complete_serial(str(root), archive, keyring) == (NEWER, 1_800_000_007)
    assert newest_complete_serial(str(root), archive, None) == (NEWER, 1_800_000_007)


def test_signature_of_another_key(world: World, tmp_path: Path) -> None:
    """A serial whose bookworm is signed by a stranger (jessie/updates by us) is incomplete."""
    root, foreign = tmp_path / "debian", "2024010199"
    for codename in CODENAMES:
        for serial in (NEW, foreign):
            shutil.copytree(world.snapshot(codename, NEW), world.snapshot(codename, serial, root))
    other = world.snapshot("bookworm", foreign, root)
    (other / "InRelease").write_bytes(world.other_inrelease)
    (other / "Release.gpg").write_bytes(world.other_release_gpg)
    archive = Archive(CODENAMES, {c: frozenset({NEW, foreign}) for c in CODENAMES})
    keyring = str(world.keyring)
    assert is_complete(str(other), None)
    assert not is_complete(str(other), keyring)
    assert is_complete(str(world.snapshot("jessie/updates", foreign, root)), keyring)
    assert serial_of(newest_complete_serial(str(root), archive, keyring)) == NEW
    assert serial_of(newest_complete_serial(str(root), archive, None)) == foreign
    (other / "InRelease").unlink()  # Release + Release.gpg, still by the other key
    assert is_complete(str(other), None) and not is_complete(str(other), keyring)
    assert not is_complete(str(other), str(tmp_path / "no-such-keyring.gpg"))


def test_verification_is_cached_by_stat(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(world.snapshot("bookworm", NEW), tmp_path / "snap")
    runs: list[list[str]] = []
    real_run = subprocess.run

    def counting(cmd: list[str], *args: object, **kwargs: object) -> object:
        runs.append(cmd)
        return real_run(cmd, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(tools.subprocess, "run", counting)
    directory, keyring = str(tmp_path / "snap"), str(world.keyring)
    assert is_complete(directory, keyring) and is_complete(directory, keyring)
    assert len(runs) == 1 and runs[0][:3] == ["gpgv", "--keyring", keyring]
    os.utime(tmp_path / "snap" / "InRelease", (0, 1_800_000_000))
    assert is_complete(directory, keyring) and len(runs) == 2
    assert is_complete(directory, None) and len(runs) == 2


def test_missing_gpgv_names_the_package(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(world.snapshot("bookworm", OLD), tmp_path / "snap")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(GpgvMissing, match=r"apt-get install gpgv"):
        is_complete(str(tmp_path / "snap"), str(world.keyring))


# trace files

GOLDEN = """\
Tue Nov 14 22:13:20 UTC 2023
Date: Tue, 14 Nov 2023 22:13:20 +0000
Date-Started: Tue, 14 Nov 2023 22:13:20 +0000
Archive serial: 2023111401
Creator: snapfront 0.1.0
Running on host: mirror.example.org
Architectures: amd64 i386 source
Architectures-Configuration: ALL
"""


def test_trace_text_golden() -> None:
    text = trace_text(
        "2023111401",
        1_700_000_000,
        "mirror.example.org",
        ["source", "i386", "amd64", "i386"],
        "0.1.0",
    )
    assert text == GOLDEN


@pytest.mark.parametrize("when", [0, 1_700_000_000, 1_701_500_000, 1_798_761_599])
def test_dates_match_coreutils(when: int) -> None:
    env = {**os.environ, "LC_ALL": "POSIX", "LANG": "POSIX"}
    for flags, ours in ((["-u"], date_u), (["-u", "-R"], date_r)):
        out = subprocess.run(
            ["date", *flags, "-d", f"@{when}"], env=env, capture_output=True, text=True, check=True
        )
        assert ours(when) == out.stdout.rstrip("\n")


def test_trace_refuses_multiline_fields() -> None:
    with pytest.raises(ValueError):
        trace_text("2023111401", 0, "evil\nArchive serial: 2099010101", ["amd64"], "0.1.0")


def test_snapshots_trace_names_newest_complete_serial(world: World) -> None:
    root, keyring = str(world.basedir), str(world.keyring)
    archive = read_archive(root)
    text = snapshots_trace(root, archive, keyring, "snap.example.org", "1.2.3")
    when = max(mtime(world.snapshot(c, NEW) / "InRelease") for c in CODENAMES)
    assert text == trace_text(NEW, when, "snap.example.org", ["amd64", "i386", "source"], "1.2.3")
    assert f"\nArchive serial: {NEW}\n" in text and f"\nDate: {date_r(when)}\n" in text
    archive_mod._verified.clear()  # a rebuild from scratch gives the same bytes
    assert snapshots_trace(root, read_archive(root), keyring, "snap.example.org", "1.2.3") == text


def test_snapshots_trace_without_complete_serial(world: World, tmp_path: Path) -> None:
    assert snapshots_trace(str(tmp_path), Archive(), None, "h", "1") is None
    stage_by_hand(world.snapshot("bookworm", NEW), world.snapshot("bookworm", NEW, tmp_path))
    assert read_archive(str(tmp_path)).serials == {"bookworm": frozenset()}  # unsigned: none
    archive = Archive(("bookworm",), {"bookworm": serials_on_disk(str(tmp_path), "bookworm")})
    assert archive.serials == {"bookworm": frozenset({NEW})}
    assert newest_complete_serial(str(tmp_path), archive, None) is None
    assert snapshots_trace(str(tmp_path), archive, None, "h", "1") is None
