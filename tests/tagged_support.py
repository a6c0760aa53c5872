"""Two time-based snapshots archives for the tagged tests, built with reprepro and gpg:
`debian` (codename bookworm) and `debian-security` (the slash codename bookworm/updates),
each signed, ValidFor 365d, with `shared 2.0-1` in both at the first serial, and a tagged
mount, empty. Module-scoped by its tests: a few seconds to build."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from snapfront import sample

ORIGINS = {"debian": "bookworm", "debian-security": "bookworm/updates"}


@dataclass(frozen=True)
class TaggedWorld:
    dir: Path
    config: Path
    keyring: Path
    gnupghome: Path
    fingerprint: str
    serials: tuple[str, str]  # (the manifest's, a newer one)

    def root(self, origin: str) -> Path:
        return self.dir / "snapshots" / origin

    @property
    def tagged(self) -> Path:
        return self.dir / "tagged"


MANIFEST = """\
origin_references:
  debian: {{reference: '{serial}'}}
  debian-security: {{reference: '{serial}'}}
packages:
  binary:
  - {{arch: all, package: hello, version: 1.0-1}}
  - {{arch: all, package: shared, version: 2.0-1}}
  - {{arch: all, package: sec, version: '1.10'}}
  source:
  - {{package: hello, version: 1.0-1}}
  - {{package: sec, version: '1.10'}}
{extra}"""


def manifest_text(world: TaggedWorld, extra: str = "") -> str:
    return MANIFEST.format(serial=world.serials[0], extra=extra)


def build_world(directory: Path) -> TaggedWorld:
    sample.require_tools()
    directory.mkdir(parents=True)
    gnupghome = directory / "gnupg"
    today = dt.datetime.now(dt.UTC).strftime("%Y%m%d")
    world = TaggedWorld(
        directory, directory / "snapfront.toml", directory / "keyring.gpg", gnupghome,
        sample.make_key(gnupghome), (f"{today}01", f"{today}02"),
    )  # fmt: skip
    work = directory / "work"
    work.mkdir()
    try:
        for origin, codename in ORIGINS.items():
            sample.write_distributions(world.root(origin), [{
                "Codename": codename, "Origin": "Debian", "Label": origin, "Components": "main",
                "Architectures": "amd64 source", "SignWith": world.fingerprint, "ValidFor": "365d",
            }])  # fmt: skip
        _add(world, "debian", work, "hello", "1.0-1", source=True)
        _add(world, "debian", work, "shared", "2.0-1")
        _add(world, "debian-security", work, "shared", "2.0-1")
        _add(world, "debian-security", work, "sec", "1.10", source=True)
        _snapshot(world, world.serials[0])
        _add(world, "debian", work, "hello", "1.1-1", source=True)
        _snapshot(world, world.serials[1])
        sample.tools.gpg(gnupghome, "--output", world.keyring, "--export", world.fingerprint)
    finally:
        sample.stop_agent(gnupghome)
    world.tagged.mkdir()
    (directory / "output").mkdir()
    text = '[server]\nlisten = "127.0.0.1:0"\noutput = "output"\n'
    for url, kind, root in [
        ("/debian/", "snapshots", "snapshots/debian"),
        ("/debian-security/", "snapshots", "snapshots/debian-security"),
        ("/tagged/", "tagged", "tagged"),
    ]:
        text += f'\n[[mount]]\nurl = "{url}"\nkind = "{kind}"\nroot = "{root}"\n'
        text += 'keyring = "keyring.gpg"\n'
    world.config.write_text(text)
    return world


def _add(world: TaggedWorld, origin: str, work: Path, name: str, version: str, source=False):
    pkgdir = work / f"{name}_{version}"
    pkgdir.mkdir(exist_ok=True)
    deb = next(pkgdir.glob("*.deb"), None) or sample.make_deb(pkgdir, name, version)
    codename = ORIGINS[origin]
    sample.reprepro(world.root(origin), world.gnupghome, "includedeb", codename, str(deb))
    if source:
        dsc = next(pkgdir.glob("*.dsc"), None) or sample.make_source(pkgdir, name, version)
        sample.reprepro(world.root(origin), world.gnupghome, "includedsc", codename, str(dsc))


def _snapshot(world: TaggedWorld, serial: str) -> None:
    for origin, codename in ORIGINS.items():
        sample.reprepro(world.root(origin), world.gnupghome, "gensnapshot", codename, serial)


def command(world: TaggedWorld, *args: str) -> list[str]:
    """`python3 -m snapfront.cli tagged ACTION --config CONFIG ARGS…`, as a list."""
    return [sys.executable, "-m", "snapfront.cli", "tagged", args[0], "--config",
            str(world.config), *args[1:]]  # fmt: skip


def environment(world: TaggedWorld) -> dict[str, str]:
    return {**os.environ, "GNUPGHOME": str(world.gnupghome)}


def tagged(world: TaggedWorld, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `snapfront tagged …` to its end; the gpg-agent it started is stopped after."""
    try:
        return subprocess.run(
            command(world, *args), capture_output=True, text=True, env=environment(world),
            timeout=300,
        )  # fmt: skip
    finally:
        sample.stop_agent(world.gnupghome)
