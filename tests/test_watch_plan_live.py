"""The watcher's plan on a host of its own (reprepro, gpg): building only the parts a change
plans gives the bytes of a full build, and a rescan that finds nothing writes nothing."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from snapfront import sample
from snapfront.base.config import load
from snapfront.generator.build import Builder, build
from snapfront.generator.plan import Change, Part, affected
from snapfront.rewrite_rules import Archive, Mount

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> sample.SampleHost:
    sample.require_tools()
    return sample.build_sample_host(tmp_path_factory.mktemp("plan") / "host")


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".snapfront" not in p.parts}  # fmt: skip


def test_planned_parts_equal_a_full_build(host: sample.SampleHost, tmp_path: Path) -> None:
    """Each change, rebuilt only through its planned parts, gives the bytes of a full build."""
    config = load(str(host.config))
    builder = Builder(config)
    builder.full(now=1_900_000_000)
    serial = f"{host.serials[1][:-2]}09"

    def changed(*rels: tuple[Mount, str, bool, bool]) -> None:
        wanted: dict[str, set[Part]] = {}
        for mount, rel, is_dir, structural in rels:
            real = next(m for m in config.mounts if m.url == mount.url)
            codenames = builder.archives.get(real.url, Archive()).codenames
            wanted.setdefault(real.url, set()).update(
                affected(real, codenames, Change(rel, is_dir, structural))
            )
        builder.update(wanted, now=1_900_000_000)
        reference = dataclasses.replace(config, output=str(tmp_path / "full"))
        shutil.rmtree(reference.output, ignore_errors=True)
        build(reference, now=1_900_000_000)
        assert _tree(Path(config.output)) == _tree(Path(reference.output))

    files, snaps = config.mounts[3], config.mounts[0]
    folder = host.files_root / "mediawiki" / "1.42"
    folder.mkdir()
    (folder / "mediawiki-1.42.0.tar.gz").write_bytes(b"release")
    changed((files, "mediawiki/1.42", True, True), (files, "mediawiki", True, False),
            (files, "mediawiki/1.42/mediawiki-1.42.0.tar.gz", False, True))  # fmt: skip
    shutil.rmtree(folder)
    changed((files, "mediawiki/1.42", True, True), (files, "mediawiki", True, False))
    sample.reprepro(host.snapshots_root, host.gnupghome, "gensnapshot", "bookworm", serial)
    sample.stop_agent(host.gnupghome)
    changed((snaps, f"dists/bookworm/snapshots/{serial}", True, True))
    shutil.rmtree(host.snapshots_root / "dists" / "bookworm" / "snapshots" / serial)
    changed((snaps, f"dists/bookworm/snapshots/{serial}", True, True))
    assert not (Path(config.output) / "debian" / serial).exists()


def test_a_rescan_that_finds_nothing_renders_and_rewrites_nothing(host: sample.SampleHost) -> None:
    builder = Builder(load(str(host.config)))
    builder.full(now=1_900_000_000)
    again = builder.full(now=1_900_000_000)
    assert again.written == 0 and again.removed == 0 and again.changed == ()
    page = host.output / "mediawiki" / "index.html"
    page.unlink()  # the output changed behind the builder's back: that page is written again
    healed = builder.full(now=1_900_000_000)
    assert healed.changed == ("mediawiki/index.html",) and page.is_file()
