"""Real apt-get against the running server: every kind of mount, signatures verified."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from snapfront.sample import SampleHost
from tests.apt_client import AptRoot

pytestmark = pytest.mark.live


def require_apt() -> None:
    for tool in ("apt-get", "apt-cache", "dpkg"):
        assert shutil.which(tool), f"{tool} not found: apt-get install apt"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pool_file(root: Path, name: str) -> Path:
    found = list((root / "pool").rglob(name))
    assert len(found) == 1, (name, found)
    return found[0]


def cases(host: SampleHost, base: str) -> dict[str, tuple[str, Path, dict[str, str]]]:
    """name -> (deb line, basedir whose pool serves it, {package: version expected})."""
    old, new = host.serials
    signed = f"[signed-by={host.keyring}]"
    return {
        "snapshot-old": (f"deb {signed} {base}/debian/{old}/ bookworm main",
                         host.snapshots_root, {"hello": "1.0-1"}),
        "snapshot-new": (f"deb {signed} {base}/debian/{new}/ bookworm main",
                         host.snapshots_root, {"hello": "1.1~rc1-1"}),
        "slash-codename-old": (f"deb {signed} {base}/debian/{old}/ jessie/updates main",
                               host.snapshots_root, {"hello": "0.9+deb8u1"}),
        "slash-codename-new": (f"deb {signed} {base}/debian/{new}/ jessie/updates main",
                               host.snapshots_root, {"hello": "0.9+deb8u1", "hello-tools": "0.9+deb8u2"}),
        "tagged": (f"deb {signed} {base}/tagged/5.0/debian/ bookworm main",
                   host.tagged_root / "5.0" / "debian", {"hello": "1.0-1"}),
        "repository": (f"deb {signed} {base}/apt/ bookworm-mediawiki main",
                       host.repository_root, {"mediawiki-tools": "1.0-1"}),
    }  # fmt: skip


CASES = ["snapshot-old", "snapshot-new", "slash-codename-old", "slash-codename-new", "tagged",
         "repository"]  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_apt_update_and_download(
    case: str, sample_host: SampleHost, base_url: str, tmp_path: Path
) -> None:
    require_apt()
    deb, basedir, expected = cases(sample_host, base_url)[case]
    apt = AptRoot(tmp_path / "apt", [deb])

    update = apt.run("update")
    assert update.returncode == 0, update.output
    assert update.problems() == [], update.output
    assert update.lines("Get:"), update.output

    for package, version in expected.items():
        assert apt.candidate(package) == version, apt.cache("policy", package)
        download = apt.run("download", package, cwd=tmp_path)
        assert download.returncode == 0, download.output
        assert download.problems() == [], download.output
        (deb_file,) = tmp_path.glob(f"{package}_*.deb")
        served = pool_file(basedir, deb_file.name.replace("%3a", ":"))
        assert sha256(deb_file) == sha256(served)
        deb_file.unlink()

    again = apt.run("update")
    assert again.returncode == 0, again.output
    assert again.problems() == [], again.output
    assert again.lines("Hit:") and not again.lines("Get:"), again.output


@pytest.mark.parametrize("which", [0, 1])
def test_apt_source_download_only(
    which: int, sample_host: SampleHost, base_url: str, tmp_path: Path
) -> None:
    require_apt()
    serial = sample_host.serials[which]
    version = ["1.0-1", "1.1~rc1-1"][which]
    line = f"deb-src [signed-by={sample_host.keyring}] {base_url}/debian/{serial}/ bookworm main"
    apt = AptRoot(tmp_path / "apt", [line])
    update = apt.run("update")
    assert update.returncode == 0 and update.problems() == [], update.output
    work = tmp_path / "src"
    work.mkdir()
    got = apt.run("source", "--download-only", f"hello={version}", cwd=work)
    assert got.returncode == 0, got.output
    assert got.problems() == [], got.output
    files = sorted(work.iterdir())
    assert any(f.name.endswith(".dsc") for f in files), files
    assert any(".tar." in f.name for f in files), files
    for path in files:
        assert sha256(path) == sha256(pool_file(sample_host.snapshots_root, path.name))


def test_unsigned_repository_is_refused(
    sample_host: SampleHost, base_url: str, tmp_path: Path
) -> None:
    """The signature check is real: a keyring without the archive key makes apt fail."""
    require_apt()
    empty = tmp_path / "empty.gpg"
    empty.write_bytes(b"")
    serial = sample_host.serials[1]
    apt = AptRoot(
        tmp_path / "apt", [f"deb [signed-by={empty}] {base_url}/debian/{serial}/ bookworm main"]
    )
    update = apt.run("update")
    assert update.returncode != 0, update.output
    assert sample_host.fingerprint[-16:] in update.saw("missing key"), update.output
