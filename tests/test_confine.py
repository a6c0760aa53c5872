"""rewrite_rules.confine, without a disk: which paths under a mount's root may be served (never
reprepro's internals, hidden or temporary names), and a resolved path relative to its root
(None outside it). tests/test_hostile_files.py plants links and FIFOs for a live server."""

from __future__ import annotations

import pytest

from snapfront.rewrite_rules import MountKind
from snapfront.rewrite_rules.confine import may_serve, relative

pytestmark = pytest.mark.pure


S, R, T, F = MountKind.SNAPSHOTS, MountKind.REPOSITORY, MountKind.TAGGED, MountKind.FILES


@pytest.mark.parametrize(
    ("kind", "rel", "directory", "served"),
    [
        (S, "pool/main/h/hello/hello_1.0_all.deb", False, True),
        (S, "dists/bookworm/snapshots/2026112101/InRelease", False, True),
        (S, "project/trace/debian", False, True),
        (S, "conf/distributions", False, False),
        (S, "db/packages.db", False, False),
        (S, "README", False, False),
        (S, "pool", False, False),
        (S, "project/trace", False, False),
        (S, "project/other", False, False),
        (S, "pool/main/h", True, True),
        (S, "project", True, True),
        (S, "project/trace", True, True),
        (S, "project/other", True, False),
        (S, "conf", True, False),
        (S, "", True, False),
        (R, "pool/main/m/x.deb", False, True),
        (R, "dists/bookworm-mediawiki/InRelease", False, True),
        (R, "README", False, True),
        (R, "conf/distributions", False, False),
        (R, "logs/x", False, False),
        (R, "tmp", True, False),
        (R, "incoming", True, False),
        (R, "", True, True),
        (T, "5.0/debian/pool/main/h/hello.deb", False, True),
        (T, "5.0/debian/dists/bookworm/InRelease", False, True),
        (T, "5.0/debian/conf/distributions", False, False),
        (T, "5.0/debian/db/packages.db", False, False),
        (T, "5.0/debian/README", False, False),
        (T, "5.0/debian/pool", False, False),
        (T, "README", False, False),
        (T, "", True, True),
        (T, "5.0/debian", True, True),
        (T, "5.0/debian/pool/main", True, True),
        (T, "5.0/debian/conf", True, False),
        (F, "mediawiki/1.41/mediawiki-1.41.0.tar.gz", False, True),
        (F, "README.md", False, True),
        (F, "mediawiki", True, True),
        (F, "mediawiki/.git/config", False, False),
        (F, ".hidden", True, False),
        (F, "x/Packages.new", False, False),
        (F, "x/a.lock", False, False),
        (R, "db/lockfile", False, False),
        (R, "pool/main/lockfile", False, False),
        (S, "pool/main/.x.deb.Ab12Cd", False, False),
        (T, "5.0/debian/pool/.git/HEAD", False, False),
    ],
)
def test_may_serve(kind: MountKind, rel: str, directory: bool, served: bool) -> None:
    segments = tuple(rel.split("/")) if rel else ()
    assert may_serve(kind, segments, directory) is served


@pytest.mark.parametrize(
    ("real", "root", "rel"),
    [
        ("/srv/r/pool/x", "/srv/r", ("pool", "x")),
        ("/srv/r", "/srv/r", ()),
        ("/srv/r/", "/srv/r/", ()),
        ("/srv/rx/pool", "/srv/r", None),
        ("/srv", "/srv/r", None),
        ("/etc/passwd", "/srv/r", None),
        ("/etc/passwd", "/", ("etc", "passwd")),
    ],
)
def test_relative(real: str, root: str, rel: tuple[str, ...] | None) -> None:
    assert relative(real, root) == rel
