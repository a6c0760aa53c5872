"""The [health], [metrics] and [pages] tables and [server] role/role_file (README: Health,
failover and metrics; Config). Parsed here so config.py stays one screenful per concern;
errors go through the caller's `fail(key, problem)`, so they read like every other config error."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from snapfront.base import units

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Fail = Callable[[str, str], Exception]

ROLES = ("active", "passive")
POOL_MODES = ("lazy", "eager")
LOOPBACK: tuple[Network, ...] = (
    ipaddress.ip_network("127.0.0.0/8"),
    ipaddress.ip_network("::1/128"),
)


@dataclass(frozen=True)
class Health:
    """Readiness thresholds. Defaults, and why (README):

    max_serial_age None: not checked. How often snapshots are taken is the site's choice
    (hourly, daily, on release); a guessed default would take both hosts of a pair out of
    rotation at once. min_valid_for 1 day: APT refuses an expired Release outright, so a day's
    warning leaves time to bump. min_free 1 GiB: reprepro and rsync need room for a snapshot's
    indexes, and the pages and the sha256 cache live in output."""

    max_serial_age: float | None = None
    min_valid_for: float = 86400.0
    min_free: int = 1 << 30
    max_replication_lag: float | None = None  # with [replication]: three intervals


@dataclass(frozen=True)
class MetricsAccess:
    allow: tuple[Network, ...] = LOOPBACK


@dataclass(frozen=True)
class Pages:
    """`pool`: "lazy" renders a pool directory's page on its first request and keeps it current
    from then on (most of an archive's pages, most of its build time and output, are pool
    pages nobody reads); "eager" renders every one in each build, for a config served by the
    nginx or Apache export, which serve only files that exist."""

    pool: str = "lazy"

    @property
    def lazy_pool(self) -> bool:
        return self.pool == "lazy"


def pages(value: Any, fail: Fail, table: Callable[[Any, str, set[str]], dict]) -> Pages:
    found = table(value, "pages", {"pool"})
    pool = found.get("pool", Pages.pool)
    if pool not in POOL_MODES:
        raise fail("pages.pool", f'must be "lazy" or "eager", got {pool!r}')
    return Pages(pool)


def health(value: Any, fail: Fail, table: Callable[[Any, str, set[str]], dict]) -> Health:
    keys = {"max_serial_age", "min_valid_for", "min_free", "max_replication_lag"}
    found = table(value, "health", keys)
    kwargs: dict[str, Any] = {}
    for name in ("max_serial_age", "min_valid_for", "max_replication_lag"):
        if name in found:
            try:
                kwargs[name] = units.duration(found[name])
            except ValueError as exc:
                raise fail(f"health.{name}", str(exc)) from None
    if "min_free" in found:
        try:
            kwargs["min_free"] = units.size(found["min_free"])
        except ValueError as exc:
            raise fail("health.min_free", str(exc)) from None
    return Health(**kwargs)


def metrics(value: Any, fail: Fail, table: Callable[[Any, str, set[str]], dict]) -> MetricsAccess:
    found = table(value, "metrics", {"allow"})
    if "allow" not in found:
        return MetricsAccess()
    allow = found["allow"]
    if not isinstance(allow, list) or not all(isinstance(a, str) for a in allow):
        raise fail("metrics.allow", 'must be a list of networks like ["127.0.0.0/8", "::1/128"]')
    networks = []
    for text in allow:
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise fail("metrics.allow", f"not a CIDR network: {text!r}") from None
    return MetricsAccess(tuple(networks))


def role(server: Mapping[str, Any], fail: Fail, abspath: Callable[[Any, str], str]) -> dict:
    """`role` (default active) and `role_file` (passive while that file exists)."""
    found: dict[str, Any] = {}
    if "role" in server:
        if server["role"] not in ROLES:
            raise fail("server.role", f'must be "active" or "passive", got {server["role"]!r}')
        found["role"] = server["role"]
    if "role_file" in server:
        found["role_file"] = abspath(server["role_file"], "server.role_file")
    return found


def allowed(networks: tuple[Network, ...], remote: str | None) -> bool:
    """Whether a peer address falls in `networks` (an IPv4-mapped IPv6 peer counts as IPv4)."""
    if not remote:
        return False
    try:
        address = ipaddress.ip_address(remote.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in networks)
