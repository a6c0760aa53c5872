"""Whom a command runs as when it writes into a directory someone else owns: pure decisions.

Root running `snapfront build` would leave root-owned pages that the service (user
`snapfront`) can no longer replace, and `snapshot take` would run reprepro as root on a
basedir the `reprepro` user's cron also writes. So a writing command run as root becomes the
owner of the directory it writes (the output, or the mount's basedir), as hand-run recipes
do with `sudo -u reprepro`; the calls that switch are in snapfront.privileges.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

ROOT = 0
SERVICE_UMASK = 0o022
"""snapfront.service's UMask=: the bits a switched command always clears, so what it writes is
readable by a web server serving the output and writable by its owner."""


@dataclass(frozen=True)
class User:
    name: str
    uid: int
    gid: int  # the primary group, as runuser and sudo take it
    home: str


class Plan(enum.Enum):
    STAY = "stay"  # write as we are
    BECOME = "become"  # root: switch to the owner before writing anything
    REFUSE = "refuse"  # neither root nor the owner, and the directory is not writable


def plan(euid: int, owner_uid: int, writable: bool) -> Plan:
    """What a command that writes into a directory owned by `owner_uid` does, run as `euid`.
    A group-writable directory shared by a team (`writable` for us) is written as we are."""
    if euid == owner_uid:
        return Plan.STAY
    if euid == ROOT:
        return Plan.BECOME
    return Plan.STAY if writable else Plan.REFUSE


def umask_for(current: int) -> int:
    """Never stricter than the service's 022 (a 077 root shell must not make unreadable
    pages), never looser than the invoker asked (002 keeps group-write for a shared group)."""
    return current & SERVICE_UMASK


def environment(env: Mapping[str, str], user: User) -> dict[str, str]:
    """The environment after the switch, as `runuser -u USER` gives it: HOME, USER and LOGNAME
    the user's own (gpg then finds ~USER/.gnupg), root's XDG_RUNTIME_DIR gone."""
    kept = {key: value for key, value in env.items() if key != "XDG_RUNTIME_DIR"}
    return {**kept, "HOME": user.home, "USER": user.name, "LOGNAME": user.name}


def keeps_bind(port: int, unprivileged_start: int) -> bool:
    """Does a server that switched still need CAP_NET_BIND_SERVICE (listen on port 80)?"""
    return 0 < port < unprivileged_start


def not_writable(path: str, owner: str, me: str) -> str:
    """Refused: the user to run it as (root too: it switches to the owner by itself)."""
    also = "" if owner == "root" else " (or as root)"
    return f"not writable by {me}: {path} belongs to {owner}: run this as {owner}{also}"


def no_such_user(path: str, uid: int) -> str:
    return f"{path} belongs to uid {uid}, which is no user: chown it to the user that writes it"


def cannot_read(user: str, place: str) -> str:
    return (
        f"{user} (the owner, whom root runs this as) cannot read {place}: install snapfront "
        f"where {user} can read it (the Debian package), or run this as {user} from there"
    )


def gnupghome_problem(home: str, home_owner: str, user: str) -> str | None:
    """A GNUPGHOME given (environment or --gnupghome) that the switched user does not own:
    gpg would warn of unsafe ownership and cannot write its agent socket or trust db there."""
    if home_owner == user:
        return None
    return (
        f"GNUPGHOME {home} belongs to {home_owner}, not {user}, who runs reprepro and gpg here "
        f"(the basedir's owner): unset it to use ~{user}/.gnupg, or give --gnupghome DIR "
        f"owned by {user}"
    )
