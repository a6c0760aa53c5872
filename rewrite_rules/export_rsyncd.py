"""The rsync daemon modules of `snapfront rules --format rsyncd`: pure, no I/O.

One read-only module per mount, named by its URL without the slashes (`/debian/` → `debian`,
`/a/b/` → `a-b`, `/` → `root`); a passive host pulls each of its mounts from the module of
that name (snapfront.replication). reprepro's working directories are hidden, except the
consistent copy of its database that the module's `pre-xfer exec` refreshes under the
basedir lock when a replica asks for it (a copy of the live Berkeley DB files while reprepro
writes them would not be consistent).
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping, Sequence

from .model import Mount, MountKind

DB_COPY = "db/snapfront-replica"
"""Relative to a basedir: the database copy the active keeps for its replicas."""
HIDDEN = ("/db/*", "/tmp/", "/lists/", "/logs/", "/incoming/", ".~tmp~/", "*.new")
"""Never offered: reprepro's database and work directories, half-written files."""
WITH_DATABASE = (MountKind.SNAPSHOTS, MountKind.REPOSITORY)


def module_name(url: str) -> str:
    """`/debian/` → `debian`, `/a/b/` → `a-b`, `/` → `root`."""
    return url.strip("/").replace("/", "-") or "root"


def render(
    mounts: Iterable[Mount],
    db_copy: Sequence[str],
    owners: Mapping[str, tuple[int, int]],
) -> str:
    """rsyncd.conf text; `db_copy`: the command (argv) a module with a reprepro database runs
    before each transfer; `owners`: root → (uid, gid) the daemon reads it as."""
    lines = [
        "# rsyncd.conf from `snapfront rules --format rsyncd`: one read-only module per mount.",
        "# Regenerate when the mounts change; serve with `rsync --daemon --config FILE`.",
        "use chroot = no",
        "read only = yes",
        "list = yes",
        "",
    ]
    seen: dict[str, str] = {}
    for mount in sorted(mounts, key=lambda m: m.url):
        name = module_name(mount.url)
        if name in seen:
            raise ValueError(f"mounts {seen[name]} and {mount.url} share the module name {name}")
        seen[name] = mount.url
        uid, gid = owners.get(mount.root, (0, 0))
        hidden = " ".join(f"- {p}" for p in HIDDEN)
        lines += [
            f"[{name}]",
            f"    comment = {mount.kind} mount {mount.url}",
            f"    path = {mount.root}",
            f"    uid = {uid}",
            f"    gid = {gid}",
            f"    filter = + /{DB_COPY}/ + /{DB_COPY}/** {hidden}",
        ]
        if mount.kind in WITH_DATABASE:  # a shell command: python starts only when needed
            guard = f'case "$RSYNC_REQUEST" in */{DB_COPY}*) exec {shlex.join(db_copy)};; esac'
            lines.append(f"    pre-xfer exec = {guard}")
        lines.append("")
    return "\n".join(lines)
