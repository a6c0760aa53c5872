"""Root runs a writing command as the owner of what it writes: nothing root-owned is left under
the output or the basedir, and the service running as its own user keeps working.

A copy of the lifecycle host with its output owned by a fresh system user (the service's,
`snapfront` on a real host) and its snapshots basedir by another (`reprepro`), whose
~/.gnupg holds the signing key. Every command runs from a copy of the code both users can
read (tests/owners_support.py): nothing depends on this checkout being world-readable.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from snapfront.run_as import User
from tests.lifecycle_support import World, copy_world, tree_hash
from tests.owners_support import (
    PYTHON,
    as_user,
    chown_tree,
    not_owned_by,
    readable_code,
    snapfront,
    stop_agent,
    system_user,
    unreadable_to_others,
)
from tests.support import family, fetch, fetch_once_settled, running_server, with_listen

pytestmark = pytest.mark.system


@dataclass(frozen=True)
class Owned:
    world: World
    config: Path  # listens on 127.0.0.1:0
    code: Path
    service: User  # owns the output
    reprepro: User  # owns the basedir; its ~/.gnupg signs

    @property
    def output(self) -> Path:
        return self.world.dir / "output"

    def run(self, *args: str, user: User | None = None, umask: int = -1):
        """`snapfront COMMAND --config CONFIG ARGS…`, as root unless `user`."""
        prefix = as_user(user, self.code) if user else ()
        return snapfront(self.code, args[0], "--config", str(self.config), *args[1:],
                         prefix=prefix, umask=umask)  # fmt: skip

    def snapshot(self, *args: str, env: dict[str, str] | None = None):
        return snapfront(self.code, "snapshot", args[0], "--config", str(self.config),
                         "/debian/", *args[1:], env=env)  # fmt: skip


@pytest.fixture(scope="module")
def owned(lifecycle_template: World) -> Iterator[Owned]:
    assert os.geteuid() == 0, "these tests add users and chown: run them as root"
    for tool, package in (("useradd", "passwd"), ("setpriv", "util-linux")):
        assert shutil.which(tool), f"{tool} not found: apt-get install {package}"
    base = Path(tempfile.mkdtemp(prefix="snapfront-owners-"))
    base.chmod(0o755)
    try:
        code = readable_code(base / "code")
        homes = base / "homes"
        homes.mkdir(mode=0o755)
        with system_user("sf-svc", homes) as service, system_user("sf-repo", homes) as repo:
            world = copy_world(lifecycle_template, base / "host")
            world.dir.chmod(0o755)
            chown_tree(world.dir / "output", service)
            chown_tree(world.root, repo)
            gnupg = Path(repo.home) / ".gnupg"
            shutil.copytree(world.gnupghome, gnupg, ignore=shutil.ignore_patterns("S.*"))
            chown_tree(gnupg, repo)
            config = with_listen(world.config, "127.0.0.1:0", world.dir / "owners.toml")
            try:
                yield Owned(world, config, code, service, repo)
            finally:
                stop_agent(repo, code)
    finally:
        shutil.rmtree(base)


def assert_owned(owned: Owned) -> None:
    assert not_owned_by(owned.service.uid, owned.output) == []
    assert not_owned_by(owned.reprepro.uid, owned.world.root) == []
    assert not_owned_by(owned.reprepro.uid, Path(owned.reprepro.home)) == []  # gpg's files


def test_root_writes_as_the_owners_and_the_service_keeps_working(owned: Owned) -> None:
    old, new, _ = owned.world.serials
    for args in (("build",), ("diff", "/debian/", old, new), ("history", "/debian/", "hello")):
        done = owned.run(*args, umask=0o077)  # a strict root shell
        assert done.returncode == 0, (args, done.stderr)
    assert (owned.output / ".snapfront" / "indexes").is_dir()  # diff's cache
    assert unreadable_to_others(owned.output) == []  # written with the service's umask 022
    taken = owned.snapshot("take")  # no GNUPGHOME: the basedir owner's ~/.gnupg signs
    assert taken.returncode == 0, taken.stderr
    serial = taken.stdout.strip()
    bumped = owned.snapshot("bump", serial, "--days", "30")
    assert bumped.returncode == 0, bumped.stderr
    assert_owned(owned)

    with running_server(owned.config, prefix=as_user(owned.service, owned.code),
                        python=PYTHON) as server:  # fmt: skip
        assert ready(server.url) == (200, "ready (role active)")
        assert owned.run("build").returncode == 0  # root beside the running service
        newer = owned.snapshot("take")
        assert newer.returncode == 0, newer.stderr
        needle = f"Archive serial: {newer.stdout.strip()}".encode()
        trace = fetch_once_settled(f"{server.url}debian/project/trace/debian", needle)
        assert needle in trace.body  # the service's watcher built the new serial's pages
        assert ready(server.url) == (200, "ready (role active)")  # its last build did not fail
        for pid in family(server.process.pid):
            assert process_ids(pid)[0] == owned.service.uid
    assert_owned(owned)


def test_root_serves_a_port_below_1024_as_the_outputs_owner(owned: Owned) -> None:
    """Root binds port 80 as the unit's user does it: that user plus CAP_NET_BIND_SERVICE, in
    every process (two workers, the watcher); nothing it writes is root's."""
    port = free_privileged_port()
    text = owned.config.read_text().replace('listen = "127.0.0.1:0"',
                                            f'listen = "127.0.0.1:{port}"\nworkers = 2')  # fmt: skip
    config = owned.world.dir / "port.toml"
    config.write_text(text)
    with running_server(config, prefix=("env", f"PYTHONPATH={owned.code}"),
                        python=PYTHON) as server:  # fmt: skip
        assert server.url == f"http://127.0.0.1:{port}/"
        assert ready(server.url) == (200, "ready (role active)")
        processes = family(server.process.pid)
        assert len(processes) >= 5  # supervisor, 2 workers, the watcher's keeper, the watcher
        assert {process_ids(pid) for pid in processes} == {(owned.service.uid, 0x400)}
    assert_owned(owned)


def test_root_refuses_when_the_owner_cannot_read_snapfront(owned: Owned) -> None:
    """A checkout under /root: the switched command could not import its own modules."""
    before = tree_hash(owned.output)
    owned.code.chmod(0o700)
    try:
        done = owned.run("build")
    finally:
        owned.code.chmod(0o755)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith(f"snapfront: {owned.config}: server.output: "
                                  f"{owned.service.name} (the owner"), done.stderr  # fmt: skip
    assert f"cannot read {owned.code}/" in done.stderr and done.stderr.count("\n") == 1
    assert tree_hash(owned.output) == before


def test_root_refuses_a_gnupghome_the_basedirs_owner_does_not_own(owned: Owned) -> None:
    before = tree_hash(owned.world.root)
    home = owned.world.gnupghome  # root's
    done = owned.snapshot("take", env={"GNUPGHOME": str(home)})
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        f"snapfront: GNUPGHOME {home} belongs to root, not {owned.reprepro.name}, who runs "
        f"reprepro and gpg here (the basedir's owner): unset it to use "
        f"~{owned.reprepro.name}/.gnupg, or give --gnupghome DIR owned by {owned.reprepro.name}\n"
    )
    assert tree_hash(owned.world.root) == before


def test_another_user_is_told_whom_to_run_as(owned: Owned) -> None:
    before = tree_hash(owned.output)
    done = owned.run("build", user=owned.reprepro)
    assert done.returncode == 2
    assert done.stderr == (
        f"snapfront: {owned.config}: server.output: not writable by {owned.reprepro.name}: "
        f"{owned.output} belongs to {owned.service.name}: run this as {owned.service.name} "
        "(or as root)\n"
    )
    assert tree_hash(owned.output) == before


def ready(url: str) -> tuple[int, str]:
    reply = fetch(f"{url}-/ready")
    return reply.status, reply.body.decode().strip()


def process_ids(pid: int) -> tuple[int, int]:
    """(effective uid, effective capabilities) of a process, from /proc."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["Uid"].split()[1]), int(fields["CapEff"].strip(), 16)


def free_privileged_port() -> int:
    for port in range(1000, 1024):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port in 1000-1023 on 127.0.0.1")
