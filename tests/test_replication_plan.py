"""What a replication run decides, without rsync: module names, the stages and their order,
deletions against quarantine, arriving serials, the lag; the [replication] config."""

from __future__ import annotations

from pathlib import Path

import pytest

from snapfront.base.config import ConfigError, load
from snapfront.health.model import Facts, MountFacts, ReplicationFacts, decide, serial_lag
from snapfront.health.replication_file import MountReplica, ReplicationState
from snapfront.replication.plan import (
    arriving,
    lag_seconds,
    module_name,
    newest_serial,
    removals,
    rsync_temporary,
    stages,
)
from snapfront.rewrite_rules import Mount, MountKind
from snapfront.rewrite_rules.export_rsyncd import render

pytestmark = pytest.mark.pure


@pytest.mark.parametrize(("url", "name"), [("/debian/", "debian"), ("/a/b/", "a-b"), ("/", "root")])
def test_module_names(url: str, name: str) -> None:
    assert module_name(url) == name


def test_rsyncd_modules_are_read_only_one_per_mount_and_hide_the_database() -> None:
    mounts = [
        Mount("/debian/", MountKind.SNAPSHOTS, "/srv/d", "debian"),
        Mount("/", MountKind.FILES, "/srv/f", ""),
    ]
    text = render(mounts, ["snapfront", "replicate", "--serve-db"], {"/srv/d": (7, 8)})
    assert "read only = yes" in text
    assert "[debian]\n" in text and "[root]\n" in text and "path = /srv/d" in text
    assert "uid = 7" in text and "- /db/*" in text
    assert text.count("pre-xfer exec") == 1  # the files mount has no reprepro database
    clash = [Mount("/a/b/", MountKind.FILES, "/x", ""), Mount("/a-b/", MountKind.FILES, "/y", "")]
    with pytest.raises(ValueError, match="a-b"):
        render(clash, ["x"], {})


def _match(filters: tuple[str, ...], path: str, is_dir: bool) -> str:
    """Enough of rsync's first-match rule for these filters (tested against rsync live)."""
    import fnmatch

    for rule in filters:
        sign, pattern = rule.split(" ", 1)
        dir_only = pattern.endswith("/")
        core = pattern.rstrip("/")
        anchored = core.startswith("/")
        core = core.lstrip("/").replace("**", "*")
        if dir_only and not is_dir:
            continue
        candidates = (
            [path] if anchored else [path.split("/", i)[-1] for i in range(path.count("/") + 1)]
        )
        if any(fnmatch.fnmatchcase(c, core) for c in candidates):
            return sign
    return "+"


@pytest.mark.parametrize("kind", [MountKind.SNAPSHOTS, MountKind.REPOSITORY, MountKind.TAGGED])
def test_archives_pull_the_pool_first_and_dists_and_the_trace_last(kind: MountKind) -> None:
    first, second = stages(kind)
    assert not first.delay_updates and second.delay_updates
    assert _match(first.filters, "pool/main/h/hello/hello_1.0_all.deb", False) == "+"
    assert _match(first.filters, "dists", True) == "-"
    assert _match(first.filters, "project/trace", True) == "-"
    assert _match(first.filters, "db", True) == "-"
    assert _match(second.filters, "dists/bookworm/snapshots/2024010101/InRelease", False) == "+"
    assert _match(second.filters, "project/trace/debian", False) == "+"
    assert _match(second.filters, "pool/main/h/hello/hello_1.0_all.deb", False) == "-"


def test_a_files_mount_pulls_checksum_lists_after_the_files_they_name() -> None:
    first, second = stages(MountKind.FILES)
    assert _match(first.filters, "1.41/mediawiki-1.41.0.tar.gz", False) == "+"
    assert _match(first.filters, "1.41/SHA256SUMS", False) == "-"
    assert _match(second.filters, "1.41/SHA256SUMS.asc", False) == "+"
    assert _match(second.filters, "1.41/mediawiki-1.41.0.tar.gz", False) == "-"


def test_what_the_active_never_had_is_quarantined_what_it_deleted_is_deleted() -> None:
    local = {"a.tar.gz": False, "old.tar.gz": False, "wrong.tar.gz": False, "gone": True,
             "gone/x": False, "keep": True}  # fmt: skip
    remote = {"a.tar.gz", "keep"}
    manifest = {"a.tar.gz", "old.tar.gz", "gone", "gone/x", "keep"}
    plan = removals(local, remote, manifest)
    assert plan.delete == ("gone/x", "old.tar.gz")
    assert plan.quarantine == ("wrong.tar.gz",)
    assert plan.directories == ("gone",)
    # the first run (no manifest): nothing is deleted, whatever is only here is kept aside
    first = removals(local, remote, set())
    assert first.delete == () and "old.tar.gz" in first.quarantine
    # a killed rsync's temporary files are removed, never quarantined; a dotfile upload is kept
    temps = {
        "pool/a/.x_1.deb.Ab12Cd": False,
        ".old.tar.gz.zz99ZZ": False,
        ".x.tar.gz.Ab12Cd": False,
    }
    later = removals({**local, **temps}, remote | {"pool/a/x_1.deb"}, manifest)
    assert set(later.delete) == {"gone/x", "old.tar.gz", "pool/a/.x_1.deb.Ab12Cd",
                                 ".old.tar.gz.zz99ZZ"}  # fmt: skip
    assert later.quarantine == (".x.tar.gz.Ab12Cd", "wrong.tar.gz")
    long = "n" * 250
    assert rsync_temporary(f"d/.{long[:247]}.Ab12Cd", {f"d/{long}"})
    assert not rsync_temporary(f"d/.{long[:247]}.Ab12Cd", {f"d/e/{long}"})
    # nothing the active has is ever quarantined or deleted
    everything = removals(local, set(local), set())
    assert everything == type(plan)()


def test_arriving_serials_and_the_newest_every_codename_has() -> None:
    remote = ["dists/bookworm/snapshots/2024010101", "dists/bookworm/snapshots/2024010102",
              "dists/jessie/updates/snapshots/2024010101", "dists/jessie/updates/snapshots/2024010102",
              "dists/bookworm/snapshots/2024010103"]  # fmt: skip
    local = remote[:1] + remote[2:3]
    assert arriving(remote, local) == ("2024010102", "2024010103")
    assert newest_serial(remote) == "2024010102"  # 03: jessie/updates has not got it
    assert newest_serial([]) is None


def test_lag() -> None:
    assert lag_seconds(1000.0, 400.0) == 600.0
    assert lag_seconds(1000.0, 2000.0) == 0.0
    assert lag_seconds(None, 5.0) is None
    mount = MountFacts("/debian/", serial="2024010101", signed=400)
    state = ReplicationState(mounts=(MountReplica("/debian/", "2024010102", 1000.0),))
    assert serial_lag(mount, ReplicationFacts("rsync://a/", 600.0, state)) == 600.0


def test_ready_on_a_passive_follows_the_last_complete_run() -> None:
    from snapfront.base.ops_config import Health

    health = Health(max_replication_lag=1800.0)
    never = ReplicationFacts("rsync://a/", 600.0, None)
    fresh = ReplicationFacts("rsync://a/", 600.0, ReplicationState(last_complete=9000.0))
    old = ReplicationFacts("rsync://a/", 600.0, ReplicationState(last_complete=1000.0))
    at = 10000.0
    assert not decide(Facts(at, "passive", replication=never), health).ready
    assert decide(Facts(at, "passive", replication=fresh), health).ready
    late = decide(Facts(at, "passive", replication=old), health)
    assert not late.ready and "replication: last complete run 2h 30m ago" in late.reasons[0]
    assert decide(Facts(at, "active", replication=old), health).ready  # the active pulls nothing


def _config(tmp_path: Path, table: str) -> Path:
    (tmp_path / "root").mkdir(exist_ok=True)
    path = tmp_path / "snapfront.toml"
    path.write_text(
        '[server]\noutput = "out"\n[[mount]]\nurl = "/"\nkind = "files"\nroot = "root"\n' + table
    )
    return path


def test_replication_config_defaults(tmp_path: Path) -> None:
    config = load(_config(tmp_path, '[replication]\nsource = "rsync://active.example.org:8873"\n'))
    assert config.replication is not None
    assert config.replication.source == "rsync://active.example.org:8873/"
    assert config.replication.interval == 600.0
    assert config.replication.quarantine == str(tmp_path / "out" / ".snapfront" / "quarantine")
    assert config.health.max_replication_lag == 1800.0
    assert load(_config(tmp_path, "")).replication is None


@pytest.mark.parametrize(
    ("table", "key", "problem"),
    [
        ("[replication]\n", "replication.source", "required"),
        ('[replication]\nsource = "http://a/"\n', "replication.source", "rsync://HOST"),
        ('[replication]\nsource = "rsync://a/debian/"\n', "replication.source", "per mount"),
        (
            '[replication]\nsource = "rsync://a/"\ninterval = "soon"\n',
            "replication.interval",
            "duration",
        ),
        (
            '[replication]\nsource = "rsync://a/"\nquarantine = "root/q"\n',
            "replication.quarantine",
            "overlaps mount[0].root",
        ),
        (
            '[replication]\nsource = "rsync://a/"\nquarantine = "out/q"\n',
            "replication.quarantine",
            "served output",
        ),
        (
            '[replication]\nsource = "rsync://a/"\nsorce = 1\n',
            "replication.sorce",
            "did you mean source",
        ),
        ('[health]\nmax_replication_lag = "x"\n', "health.max_replication_lag", "duration"),
    ],
)
def test_replication_config_errors(tmp_path: Path, table: str, key: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(_config(tmp_path, table))
    assert f": {key}: " in str(caught.value) and problem in str(caught.value)
