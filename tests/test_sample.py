"""The sample host is built with the real tools; check what APT and a user would see."""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import subprocess
import tarfile
import tomllib
from pathlib import Path

import pytest
from debian import deb822

from snapfront.sample import (
    TOOLS,
    MissingTool,
    SampleHost,
    ToolError,
    build_sample_host,
    make_deb,
    make_key,
    make_source,
    require_tools,
    sign_file,
    stop_agent,
)

pytestmark = pytest.mark.live


CODENAMES = ("bookworm", "jessie/updates")
SNAPSHOT_FILES = {
    "Release",
    "InRelease",
    "Release.gpg",
    "main/binary-amd64/Packages",
    "main/binary-amd64/Packages.gz",
    "main/source/Sources.gz",
}


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> SampleHost:
    require_tools()  # a missing tool fails the tests, naming the package: never a skip
    return build_sample_host(tmp_path_factory.mktemp("sample"), listen="127.0.0.1:8999")


def snapshot_dir(host: SampleHost, codename: str, serial: str) -> Path:
    return host.snapshots_root / "dists" / codename / "snapshots" / serial


def read_index(path: Path) -> list[deb822.Deb822]:
    """Paragraphs of a Packages or Sources file, gzipped or not."""
    opener = gzip.open if path.suffix == ".gz" else open
    kind = deb822.Sources if path.name.startswith("Sources") else deb822.Packages
    with opener(path, "rt") as index:
        return list(kind.iter_paragraphs(index, use_apt_pkg=False))


def versions(path: Path) -> dict[str, str]:
    return {para["Package"]: para["Version"] for para in read_index(path)}


def gpgv(host: SampleHost, *files: Path) -> None:
    cmd = ["gpgv", "--keyring", str(host.keyring), *map(str, files)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def live_agents(gnupghome: Path) -> list[str]:
    """gpg-agent processes (not zombies) started for GNUPGHOME, found by cmdline or env."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            environ = (proc / "environ").read_bytes().split(b"\0")
        except (NotADirectoryError, FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        mine = str(gnupghome) in cmdline or f"GNUPGHOME={gnupghome}".encode() in environ
        if "gpg-agent" in cmdline and mine:
            found.append(f"{proc.name}: {cmdline}")
    return found


def test_require_tools_passes() -> None:
    require_tools()


def test_missing_tool_names_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for tool in TOOLS:
        if tool != "reprepro":
            (tmp_path / tool).symlink_to(shutil.which(tool) or "/nonexistent")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MissingTool, match=r"^reprepro not found: apt-get install reprepro$"):
        require_tools()


@pytest.mark.parametrize("codename", CODENAMES)
@pytest.mark.parametrize("index", [0, 1])
def test_snapshot_has_signed_indexes(host: SampleHost, codename: str, index: int) -> None:
    serial = host.serials[index]
    folder = snapshot_dir(host, codename, serial)
    present = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
    assert present >= SNAPSHOT_FILES
    release = deb822.Release(folder.joinpath("Release").read_text())
    assert release["Suite"] == f"{codename}/snapshots/{serial}"
    assert release["Codename"] == codename
    assert release["Origin"] == "snapfront demo"
    assert "Valid-Until" in release
    gpgv(host, folder / "InRelease")
    gpgv(host, folder / "Release.gpg", folder / "Release")


@pytest.mark.parametrize("codename", CODENAMES)
def test_release_hashes_match_disk(host: SampleHost, codename: str) -> None:
    """Every file Release lists is there, or (reprepro's way) only its .gz: no hash mismatch."""
    for serial in host.serials:
        folder = snapshot_dir(host, codename, serial)
        release = deb822.Release(folder.joinpath("Release").read_text())
        for entry in release["SHA256"]:
            path, gz = folder / entry["name"], folder / (entry["name"] + ".gz")
            data = path.read_bytes() if path.exists() else gzip.decompress(gz.read_bytes())
            assert hashlib.sha256(data).hexdigest() == entry["sha256"], path


def test_serials_differ(host: SampleHost) -> None:
    old, new = (snapshot_dir(host, "bookworm", s) for s in host.serials)
    packages = "main/binary-amd64/Packages"
    assert versions(old / packages) == {"hello": "1.0-1"}
    assert versions(new / packages) == {"hello": "1.1~rc1-1"}
    assert versions(new / f"{packages}.gz") == {"hello": "1.1~rc1-1"}
    old, new = (snapshot_dir(host, "jessie/updates", s) for s in host.serials)
    assert versions(old / packages) == {"hello": "0.9+deb8u1"}
    assert versions(new / packages) == {"hello": "0.9+deb8u1", "hello-tools": "0.9+deb8u2"}


def test_sources_list_hello(host: SampleHost) -> None:
    old, new = (snapshot_dir(host, "bookworm", s) / "main/source/Sources.gz" for s in host.serials)
    assert versions(old) == {"hello": "1.0-1"}
    assert versions(new) == {"hello": "1.1~rc1-1"}
    (para,) = read_index(new)
    assert para["Format"] == "3.0 (quilt)"


def test_pool_files_of_both_serials_exist(host: SampleHost) -> None:
    """Replacing hello 1.0-1 must not delete files the older snapshot still references."""
    for codename in CODENAMES:
        for serial in host.serials:
            folder = snapshot_dir(host, codename, serial)
            for para in read_index(folder / "main/binary-amd64/Packages"):
                assert (host.snapshots_root / para["Filename"]).is_file()
            for para in read_index(folder / "main/source/Sources.gz"):
                for file in para["Checksums-Sha256"]:
                    assert (host.snapshots_root / para["Directory"] / file["name"]).is_file()


def test_repository_and_tagged(host: SampleHost) -> None:
    for root, codename, expected in [
        (host.repository_root, "bookworm-mediawiki", {"mediawiki-tools": "1.0-1"}),
        (host.tagged_root / "5.0" / "debian", "bookworm", {"hello": "1.0-1"}),
    ]:
        dist = root / "dists" / codename
        assert versions(dist / "main/binary-amd64/Packages") == expected
        gpgv(host, dist / "InRelease")
        for para in read_index(dist / "main/binary-amd64/Packages"):
            assert (root / para["Filename"]).is_file()


def test_release_tarballs_are_signed(host: SampleHost) -> None:
    versions = {"1.9": ["1.9.0"], "1.10": ["1.10.0"], "1.41": ["1.41.0", "1.41.1"]}
    for branch, numbers in versions.items():
        for number in numbers:
            tarball = host.files_root / "mediawiki" / branch / f"mediawiki-{number}.tar.gz"
            gpgv(host, tarball.with_name(tarball.name + ".sig"), tarball)
            with tarfile.open(tarball) as tar:
                assert f"mediawiki-{number}/README" in tar.getnames()
            assert 1000 < tarball.stat().st_size < 20_000
    latest = host.files_root / "mediawiki/1.41/mediawiki-1.41.1.tar.gz"
    asc = latest.with_name(latest.name + ".asc")
    assert asc.read_text().startswith("-----BEGIN PGP SIGNATURE-----")
    gpgv(host, asc, latest)
    assert (host.files_root / "README.md").is_file()


def test_config(host: SampleHost) -> None:
    config = tomllib.loads(host.config.read_text())
    assert config["server"] == {"listen": "127.0.0.1:8999", "output": "output"}
    mounts = config["mount"]
    assert [(m["url"], m["kind"]) for m in mounts] == [
        ("/debian/", "snapshots"),
        ("/apt/", "repository"),
        ("/tagged/", "tagged"),
        ("/", "files"),
    ]
    for mount in mounts:
        assert (host.config.parent / mount["root"]).is_dir()
        if "keyring" in mount:
            assert (host.config.parent / mount["keyring"]) == host.keyring
    assert host.output.is_dir() and not any(host.output.iterdir())


def test_key_material(host: SampleHost) -> None:
    assert host.keyring.read_bytes()[0] in (0x98, 0x99)  # binary public-key packet, not armor
    assert host.gnupghome.stat().st_mode & 0o777 == 0o700
    assert len(host.fingerprint) == 40
    assert host.fingerprint in (host.snapshots_root / "conf/distributions").read_text()


def test_no_gpg_agent_outlives_the_build(host: SampleHost) -> None:
    assert live_agents(host.gnupghome) == []


def test_stop_agent_kills_a_running_agent(host: SampleHost, tmp_path: Path) -> None:
    signed = tmp_path / "file"
    signed.write_text("x")
    sign_file(host.gnupghome, host.fingerprint, signed)  # starts the agent again
    assert live_agents(host.gnupghome), "the agent check does not see agents at all"
    stop_agent(host.gnupghome)
    assert live_agents(host.gnupghome) == []


def test_refuses_a_non_empty_directory(host: SampleHost) -> None:
    with pytest.raises(FileExistsError, match="not empty"):
        build_sample_host(host.dir)


def test_too_long_gnupghome_is_refused_before_creating_anything(tmp_path: Path) -> None:
    gnupghome = tmp_path / ("x" * 110) / "gnupg"
    with pytest.raises(ToolError, match="too long for gpg-agent's socket"):
        make_key(gnupghome)
    assert not gnupghome.parent.exists()


def test_make_deb_is_reproducible(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    debs = [make_deb(d, "demo", "2.0~beta1-1") for d in (first, second)]
    assert debs[0].name == "demo_2.0~beta1-1_all.deb"
    assert debs[0].read_bytes() == debs[1].read_bytes()
    listing = subprocess.run(["dpkg-deb", "-c", debs[0]], capture_output=True, text=True).stdout
    assert "./usr/share/doc/demo/README" in listing


@pytest.mark.parametrize(
    ("version", "fmt", "names"),
    [
        ("1.0", "3.0 (native)", ["demo_1.0.tar.xz"]),
        ("1:1.0-2", "3.0 (quilt)", ["demo_1.0.orig.tar.gz", "demo_1.0-2.debian.tar.xz"]),
    ],
)
def test_make_source_is_what_dpkg_source_unpacks(
    tmp_path: Path, version: str, fmt: str, names: list[str]
) -> None:
    """The .dsc is written by hand (no dpkg-dev for the demo): dpkg-source itself checks its
    checksums and unpacks it, and a second build is byte for byte the same."""
    dpkg_source = shutil.which("dpkg-source")
    assert dpkg_source, "dpkg-source not found: apt-get install dpkg-dev"
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    dsc = make_source(first, "demo", version)
    fields = deb822.Dsc(dsc.read_text())
    assert (fields["Format"], fields["Version"]) == (fmt, version)
    assert [f["name"] for f in fields["Files"]] == names
    assert sorted(os.listdir(first)) == sorted([dsc.name, *names])
    unpacked = subprocess.run([dpkg_source, "-x", dsc.name, "tree"], cwd=first,
                              capture_output=True, text=True)  # fmt: skip
    assert unpacked.returncode == 0, unpacked.stderr
    tree = first / "tree"
    assert (tree / "debian/source/format").read_text() == fmt + "\n"
    assert (tree / "debian/changelog").read_text().startswith(f"demo ({version}) unstable;")
    assert (tree / "README").is_file()
    again = make_source(second, "demo", version)
    assert [(second / n).read_bytes() for n in [again.name, *names]] == [
        (first / n).read_bytes() for n in [dsc.name, *names]
    ]
