"""A snapshots basedir and a repository built with real reprepro and gpg for the diff tests:
three serials of bookworm and two suites, with a package added, one removed, upgrades (one
by `~`, one by an epoch) and a downgrade (`reprepro remove`, then `includedeb` of the lower
version: reprepro refuses a lower version over a higher one)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from snapfront import sample

S1, S2, S3 = "2026010101", "2026010102", "2026010201"
FIRST = {"gone": "1.0-1", "up": "1.0-1", "down": "2.0-1", "tilde": "1.0~rc1-1",
         "epochal": "2.0-1", "same": "3.0-1"}  # fmt: skip
SECOND = {"new": "0.1-1", "up": "1.1-1", "down": "1.5-1", "tilde": "1.0-1",
          "epochal": "1:1.0-1", "same": "3.0-1"}  # fmt: skip
THIRD = {**SECOND, "late": "1.0-1"}  # binary only: Sources is the same file as in S2
SOURCES = {"up"}  # packages with a source package too


@dataclass(frozen=True)
class DiffHost:
    dir: Path
    config: Path
    output: Path
    snapshots: Path
    repository: Path


def build(directory: Path) -> DiffHost:
    gnupghome = directory / "gnupg"
    fingerprint = sample.make_key(gnupghome)
    host = DiffHost(directory, directory / "snapfront.toml", directory / "output",
                    directory / "snapshots", directory / "repo")  # fmt: skip
    base = {"Origin": "diff test", "Label": "diff test", "Components": "main",
            "Architectures": "amd64 source", "SignWith": fingerprint, "ValidFor": "365d"}  # fmt: skip
    sample.write_distributions(host.snapshots, [{"Codename": "bookworm", **base}])
    sample.write_distributions(
        host.repository, [{"Codename": c, **base} for c in ("stable", "devel")]
    )

    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)

            def put(
                basedir: Path, codename: str, packages: dict[str, str], old: dict[str, str]
            ) -> None:
                run = lambda *a: sample.reprepro(basedir, gnupghome, *a)  # noqa: E731
                for name in old.keys() - packages.keys():
                    run("remove", codename, name)
                for name, version in sorted(packages.items()):
                    if old.get(name) == version:
                        continue
                    if name in old:
                        run("remove", codename, name)  # a lower version needs the higher gone
                        if name in SOURCES:
                            run("removesrc", codename, name)
                    folder = work / f"{name}_{version}"
                    folder.mkdir(exist_ok=True)
                    deb = next(folder.glob("*.deb"), None) or sample.make_deb(folder, name, version)
                    run("includedeb", codename, str(deb))
                    if name in SOURCES:
                        dsc = next(folder.glob("*.dsc"), None) or sample.make_source(
                            folder, name, version
                        )
                        run("includedsc", codename, str(dsc))

            put(host.snapshots, "bookworm", FIRST, {})
            sample.reprepro(host.snapshots, gnupghome, "gensnapshot", "bookworm", S1)
            put(host.snapshots, "bookworm", SECOND, FIRST)
            sample.reprepro(host.snapshots, gnupghome, "gensnapshot", "bookworm", S2)
            put(host.snapshots, "bookworm", THIRD, SECOND)
            sample.reprepro(host.snapshots, gnupghome, "gensnapshot", "bookworm", S3)
            put(host.repository, "stable", FIRST, {})
            put(host.repository, "devel", SECOND, {})
    finally:
        sample.stop_agent(gnupghome)
    host.config.write_text(
        '[server]\noutput = "output"\n\n'
        '[[mount]]\nurl = "/debian/"\nkind = "snapshots"\nroot = "snapshots"\n\n'
        '[[mount]]\nurl = "/apt/"\nkind = "repository"\nroot = "repo"\n'
    )
    host.output.mkdir()
    return host
