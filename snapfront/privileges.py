"""Switch a root process to the owner of what it writes: the system calls snapfront.run_as
decides on (setgroups, setgid, setuid, umask, environment), done once and for good before
the command writes anything or forks, so nothing after it can write as root."""

from __future__ import annotations

import ctypes
import importlib.util
import os
import pwd

from snapfront.base.config import Config, ConfigError
from snapfront.base.config_values import nearest_existing
from snapfront.base.site_files import site_dir
from snapfront.rewrite_rules import Mount
from snapfront.run_as import (
    Plan,
    User,
    cannot_read,
    environment,
    keeps_bind,
    no_such_user,
    not_writable,
    plan,
    umask_for,
)

CODE = (
    *("snapfront", "aiohttp", "jinja2", "debian", "watchdog", "brotli", "markdown_it"),
    "prometheus_client",
    "yaml",  # tagged create reads its manifest after the switch
)
"""Top-level modules a command may still import after the switch (imports are lazy)."""
UNPRIVILEGED_START = "/proc/sys/net/ipv4/ip_unprivileged_port_start"
CAP_NET_BIND_SERVICE = 10  # <linux/capability.h>
PR_SET_KEEPCAPS = 8  # <linux/prctl.h>
CAPABILITY_VERSION_3 = 0x20080522


def as_output_owner(config: Config, port: int = 0) -> User | None:
    """Before build, watch, serve (bound to `port`), diff or history write into the output."""
    return become_owner(config.output, config.path, "server.output", port)


def as_basedir_owner(config: Config, mount: Mount) -> User | None:
    """Before a snapshot action runs reprepro and gpg on the mount's basedir."""
    return become_owner(mount.root, config.path, f"mount[{config.mounts.index(mount)}].root")


def become_owner(path: str, config_path: str, key: str, port: int = 0) -> User | None:
    """Root becomes the owner of `path` (or of its nearest existing parent); returns whom it
    became, None when it stays as it is. A server that listens on `port` below 1024 keeps
    CAP_NET_BIND_SERVICE, as snapfront.service gives its user. ConfigError (one line, exit 2)
    when it should not write there: not root, not the owner, not writable; an owner that is
    no user, or that cannot read snapfront's own code."""
    existing = nearest_existing(path)
    owner = os.stat(existing).st_uid
    decision = plan(os.geteuid(), owner, os.access(existing, os.W_OK | os.X_OK))
    if decision is Plan.STAY:
        return None
    if decision is Plan.REFUSE:
        me = name_of(os.geteuid())
        raise ConfigError(config_path, key, not_writable(existing, name_of(owner), me))
    user = lookup(owner)
    if user is None:
        raise ConfigError(config_path, key, no_such_user(existing, owner))
    try:
        unreadable = unreadable_by(user, code_places())
        if unreadable:
            raise ConfigError(config_path, key, cannot_read(user.name, unreadable))
        switch(user, keep_bind=keeps_bind(port, _unprivileged_start()))
    except OSError as exc:
        raise ConfigError(config_path, key, f"cannot switch to {user.name}: {exc}") from None
    return user


def lookup(uid: int) -> User | None:
    try:
        entry = pwd.getpwuid(uid)
    except KeyError:
        return None
    return User(entry.pw_name, entry.pw_uid, entry.pw_gid, entry.pw_dir)


def name_of(uid: int) -> str:
    user = lookup(uid)
    return user.name if user else str(uid)


def switch(user: User, keep_bind: bool = False) -> None:
    """For good: groups, then gid, then uid (real, effective and saved alike)."""
    libc = ctypes.CDLL(None, use_errno=True) if keep_bind else None
    if libc is not None:
        _check(libc.prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), "prctl")
    os.initgroups(user.name, user.gid)
    os.setresgid(user.gid, user.gid, user.gid)
    os.setresuid(user.uid, user.uid, user.uid)
    if libc is not None:
        _only_bind_capability(libc)
        _check(libc.prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0), "prctl")
    os.umask(umask_for(os.umask(0)))
    env = environment(os.environ, user)
    os.environ.clear()
    os.environ.update(env)


def code_places() -> list[str]:
    """The directories snapfront's code and site files are read from."""
    places = [str(site_dir())]
    for name in CODE:
        spec = importlib.util.find_spec(name)
        if spec is None:
            continue
        if spec.origin:
            places.append(os.path.dirname(spec.origin))
        places += list(spec.submodule_search_locations or ())
    return list(dict.fromkeys(places))


def unreadable_by(user: User, places: list[str]) -> str | None:
    """The first of `places` that `user` cannot read, asked of a child that switched (exact:
    ACLs and every parent directory count). OSError when the child could not switch."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: answers "" (all readable), a place, or "!" and its error
        try:
            os.close(read_end)
            switch(user)
            bad = next((p for p in places if not os.access(p, os.R_OK | os.X_OK)), "")
            os.write(write_end, bad.encode())
        except OSError as exc:
            os.write(write_end, f"!{exc}".encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as reader:
        answer = reader.read().decode()
    os.waitpid(pid, 0)
    if answer.startswith("!"):
        raise OSError(answer[1:])
    return answer or None


def _unprivileged_start() -> int:
    try:
        with open(UNPRIVILEGED_START) as fh:
            return int(fh.read())
    except (OSError, ValueError):
        return 1024


class _Header(ctypes.Structure):
    _fields_ = (("version", ctypes.c_uint32), ("pid", ctypes.c_int))


class _Data(ctypes.Structure):
    _fields_ = (
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    )


def _only_bind_capability(libc: ctypes.CDLL) -> None:
    """capset(2): of what PR_SET_KEEPCAPS kept, only CAP_NET_BIND_SERVICE, effective."""
    header = _Header(CAPABILITY_VERSION_3, 0)
    data = (_Data * 2)()
    data[0].effective = data[0].permitted = 1 << CAP_NET_BIND_SERVICE
    _check(libc.capset(ctypes.byref(header), data), "capset")


def _check(result: int, call: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{call}: {os.strerror(errno)}")
