"""Room for `[server] max_connections` in every worker's open-file limit (RLIMIT_NOFILE).

The limit is per process and each worker is a process of its own, so each needs descriptors
for its own connections: the socket and, for a download, the file being sent, plus some for
itself (the listening socket, the metrics files, logs). Debian starts services with a soft
limit of 1,024, below what the default max_connections needs; the hard limit (LimitNOFILE=,
`ulimit -Hn`) is what an unprivileged process may raise it to, once, before the workers fork.
"""

from __future__ import annotations

import resource

PER_CONNECTION = 2
HEADROOM = 256


def needed(max_connections: int) -> int:
    """Descriptors one worker process may hold with `max_connections` clients downloading."""
    return max_connections * PER_CONNECTION + HEADROOM


def make_room(max_connections: int, workers: int) -> str | None:
    """Raise the soft limit toward the hard one as far as needed; a warning to print when the
    hard limit is too low (or the raise was refused), else None. Children inherit the limit."""
    need = needed(max_connections)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    infinite = resource.RLIM_INFINITY
    target = need if hard == infinite else min(need, hard)
    refused = ""
    if soft != infinite and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError) as exc:  # a seccomp filter, say
            refused = f" (raising the soft limit {soft} failed: {exc})"
            target = soft
    if hard != infinite and hard >= need and not refused:
        return None
    return (
        f"snapfront: open files limited to {target} per process{refused}; max_connections = "
        f"{max_connections} needs {need} in each of the {workers} worker process(es) (2 per "
        f"connection + {HEADROOM}): connections beyond about {(target - HEADROOM) // 2} fail "
        f"with 'Too many open files'. Raise the hard limit: LimitNOFILE={need} in the systemd "
        f"unit, or `ulimit -n {need}` in the shell that starts snapfront"
    )
