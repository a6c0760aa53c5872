"""snapfront.run_as: whom a writing command runs as, decided without touching the system."""

from __future__ import annotations

import pytest

from snapfront.run_as import (
    Plan,
    User,
    environment,
    gnupghome_problem,
    keeps_bind,
    not_writable,
    plan,
    umask_for,
)

pytestmark = pytest.mark.pure


REPREPRO = User("reprepro", 998, 997, "/srv/reprepro")


@pytest.mark.parametrize(
    ("euid", "owner", "writable", "expected"),
    [
        (0, 0, True, Plan.STAY),  # root's own output: nothing changes
        (0, 998, True, Plan.BECOME),  # root on snapfront's output: become snapfront
        (0, 998, False, Plan.BECOME),
        (998, 998, True, Plan.STAY),  # the owner itself (the unit's User=)
        (1000, 998, True, Plan.STAY),  # a team's group-writable basedir
        (1000, 998, False, Plan.REFUSE),  # someone else: name the owner to run as
        (1000, 0, False, Plan.REFUSE),
    ],
)
def test_plan(euid: int, owner: int, writable: bool, expected: Plan) -> None:
    assert plan(euid, owner, writable) is expected


@pytest.mark.parametrize(
    ("current", "expected"),
    [(0o022, 0o022), (0o077, 0o022), (0o027, 0o022), (0o002, 0o002), (0o000, 0o000)],
)
def test_umask_is_never_stricter_than_the_services(current: int, expected: int) -> None:
    assert umask_for(current) == expected


def test_environment_is_the_users_as_runuser_gives_it() -> None:
    env = {
        "HOME": "/root", "USER": "root", "LOGNAME": "root", "PATH": "/usr/bin",
        "XDG_RUNTIME_DIR": "/run/user/0", "GNUPGHOME": "/srv/keys", "LC_ALL": "C.UTF-8",
    }  # fmt: skip
    assert environment(env, REPREPRO) == {
        "HOME": "/srv/reprepro", "USER": "reprepro", "LOGNAME": "reprepro", "PATH": "/usr/bin",
        "GNUPGHOME": "/srv/keys", "LC_ALL": "C.UTF-8",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("port", "start", "expected"),
    [(80, 1024, True), (443, 1024, True), (1023, 1024, True), (8080, 1024, False),
     (0, 1024, False), (80, 0, False), (80, 81, True)],
)  # fmt: skip
def test_a_switched_server_keeps_binding_only_below_the_unprivileged_ports(
    port: int, start: int, expected: bool
) -> None:
    assert keeps_bind(port, start) is expected


def test_gnupghome_of_another_user_is_named_with_the_way_out() -> None:
    assert gnupghome_problem("/srv/reprepro/.gnupg", "reprepro", "reprepro") is None
    problem = gnupghome_problem("/root/.gnupg", "root", "reprepro")
    assert problem is not None
    assert problem.startswith("GNUPGHOME /root/.gnupg belongs to root, not reprepro")
    assert "~reprepro/.gnupg" in problem and "--gnupghome DIR owned by reprepro" in problem


def test_a_refusal_names_the_user_to_run_as() -> None:
    assert not_writable("/var/lib/snapfront", "snapfront", "alice") == (
        "not writable by alice: /var/lib/snapfront belongs to snapfront: run this as "
        "snapfront (or as root)"
    )
    assert not_writable("/srv/out", "root", "snapfront") == (
        "not writable by snapfront: /srv/out belongs to root: run this as root"
    )
