"""Read and validate snapfront.toml (README: Config). One error, one line, exit 2.

Every problem names the file and the key: `snapfront: FILE: mount[N].KEY: problem`.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from snapfront.base import ops_config
from snapfront.base.config_mounts import MountTables
from snapfront.base.config_replication import LAG_INTERVALS, Replication, check_quarantine
from snapfront.base.config_replication import replication as replication_table
from snapfront.base.config_tls import KEYS as TLS_KEYS
from snapfront.base.config_tls import Tls, tls
from snapfront.base.config_values import (
    PATH_MAX,
    UNSAFE,
    nearest_existing,
    parse_listen,
    unknown_key,
    within,
)
from snapfront.base.ops_config import Health, MetricsAccess, Pages
from snapfront.rewrite_rules import CacheClass, Mount, cache_policy
from snapfront.rewrite_rules.policy import cache_control_problem

DEFAULT_LISTEN = "127.0.0.1:8080"
DEFAULT_PATH = "/etc/snapfront/snapfront.toml"
"""The Debian package's config: what a command reads without --config."""
_TIMEOUT_KEYS = ("header_timeout", "keepalive_timeout", "send_timeout")
MAX_CONNECTIONS = 4096
"""Per worker: a connection costs one descriptor (two downloading) and 6-10 KiB of memory
(server/budget.py); the unit's LimitNOFILE=16384 holds up to 8,064 (server/nofile.py)."""


class ConfigError(Exception):
    """A config problem, already formatted as the one line the contract promises."""

    def __init__(self, path: str, key: str, problem: str) -> None:
        super().__init__(f"{path}: {key}: {problem}" if key else f"{path}: {problem}")


@dataclass(frozen=True)
class Watch:
    quiet: float = 0.5
    max_wait: float = 5.0
    rescan: float = 600.0


@dataclass(frozen=True)
class Cdn:
    purge: str
    hosts: tuple[str, ...]


@dataclass(frozen=True)
class Config:
    path: str
    host: str
    port: int
    output: str
    workers: int | None  # None means "auto"
    public_url: str
    mounts: tuple[Mount, ...]
    cache: Mapping[CacheClass, str] = field(default_factory=cache_policy)
    watch: Watch = Watch()
    cdns: tuple[Cdn, ...] = ()
    header_timeout: float = 60.0  # seconds for a whole request head
    keepalive_timeout: float = 75.0  # seconds idle between requests
    send_timeout: float = 60.0  # seconds a send may make no progress
    max_connections: int = MAX_CONNECTIONS  # per worker; see README "HTTP behaviour"
    role: str = "active"  # or "passive"; role_file, while it exists, makes it passive
    role_file: str | None = None
    health: Health = field(default_factory=Health)
    metrics: MetricsAccess = field(default_factory=MetricsAccess)
    pages: Pages = field(default_factory=Pages)
    tls: Tls | None = None  # the HTTPS listener, beside `listen`
    replication: Replication | None = None  # a passive host's source (snapfront replicate)

    def worker_count(self) -> int:
        """`auto` = the CPUs this process may run on."""
        return self.workers or len(os.sched_getaffinity(0))


def load(path: str) -> Config:
    """Parse and validate the config at `path`; raises ConfigError."""
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        hint = " (the default; give --config FILE)" if path == DEFAULT_PATH else ""
        raise ConfigError(path, "", f"cannot read: {exc.strerror}{hint}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, "", f"invalid TOML: {exc}") from None
    except UnicodeDecodeError as exc:  # TOML is UTF-8 (Latin-1 bytes, a UTF-16 BOM ...)
        raise ConfigError(path, "", f"not UTF-8 (byte {exc.start}): TOML files are UTF-8") from None
    return _Parser(path, os.path.dirname(os.path.abspath(path))).config(data)


class _Parser(MountTables):
    def __init__(self, path: str, base: str) -> None:
        self.path = path
        self.base = base

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(self.path, key, problem)

    def table(self, value: Any, key: str, allowed: set[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, "must be a table")
        for name in value:
            if name not in allowed:
                raise self.fail(f"{key}.{name}" if key else name, unknown_key(name, allowed))
        return value

    def string(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(key, "must be a non-empty string")
        return value

    def abspath(self, value: Any, key: str) -> str:
        text = self.string(value, key)
        if "\x00" in text:
            raise self.fail(key, "must not contain a NUL character")
        if len(text.encode()) >= PATH_MAX:
            raise self.fail(key, f"longer than {PATH_MAX - 1} bytes")
        return os.path.normpath(os.path.join(self.base, text))

    def config(self, data: dict[str, Any]) -> Config:
        tables = {"server", "mount", "cache", "watch", "cdn", "health", "metrics", "pages"}
        tables.add("replication")
        self.table(data, "", tables)
        allowed = {"listen", "output", "workers", "public_url", "max_connections", *_TIMEOUT_KEYS}
        allowed |= {"role", "role_file", *TLS_KEYS}
        server = self.table(data.get("server", {}), "server", allowed)
        host, port = self.listen(server.get("listen", DEFAULT_LISTEN))
        https = tls(server, self.fail, self.abspath, self.listen, (host, port))
        if "output" not in server:
            raise self.fail("server.output", "required")
        output = self.abspath(server["output"], "server.output")
        mounts = self.mounts(data.get("mount"))
        self.check_output(output, mounts)
        shown = f"[{host}]" if ":" in host else host
        public = self.public_url(server.get("public_url", f"http://{shown}:{port}/"))
        pulled = self.replication(data.get("replication"), output, mounts)
        health = ops_config.health(data.get("health", {}), self.fail, self.table)
        if pulled is not None and health.max_replication_lag is None:
            health = replace(health, max_replication_lag=LAG_INTERVALS * pulled.interval)
        return Config(
            path=os.path.abspath(self.path),
            host=host,
            port=port,
            output=output,
            workers=self.workers(server.get("workers", 1)),
            public_url=public,
            mounts=mounts,
            cache=self.cache(data.get("cache", {})),
            watch=self.watch(data.get("watch", {})),
            cdns=self.cdns(data.get("cdn", [])),
            health=health,
            metrics=ops_config.metrics(data.get("metrics", {}), self.fail, self.table),
            pages=ops_config.pages(data.get("pages", {}), self.fail, self.table),
            tls=https,
            replication=pulled,
            **self.connections(server),
            **ops_config.role(server, self.fail, self.abspath),
        )

    def replication(self, value: Any, output: str, mounts: tuple[Mount, ...]) -> Replication | None:
        found = replication_table(value, self.fail, self.table, self.abspath, output)
        if found is not None:
            check_quarantine(found.quarantine, [m.root for m in mounts], output, self.fail)
        return found

    def listen(self, value: Any, key: str = "server.listen") -> tuple[str, int]:
        try:
            return parse_listen(self.string(value, key))
        except ValueError as exc:
            raise self.fail(key, str(exc)) from None

    def workers(self, value: Any) -> int | None:
        if value == "auto":
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.fail("server.workers", f'must be an integer >= 1 or "auto", got {value!r}')
        return value

    def http_url(self, value: Any, key: str, what: str = "an http(s) URL") -> str:
        """An absolute http(s) URL with a host (and a valid port), fit for a request line."""
        url = self.string(value, key)
        problem = f"must be {what} with a host, like http://127.0.0.1:6081/, got {url!r}"
        if UNSAFE.search(url):
            raise self.fail(key, problem)
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises on a port that is not a number in range
        except ValueError:
            raise self.fail(key, problem) from None
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
            raise self.fail(key, problem)
        return url

    def seconds(self, number: Any, key: str) -> float:
        """A duration in seconds: a finite number > 0."""
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise self.fail(key, f"must be a number of seconds, got {number!r}")
        if not math.isfinite(number) or number <= 0:
            raise self.fail(key, f"must be > 0 and finite, got {number!r}")
        return float(number)

    def connections(self, server: dict[str, Any]) -> dict[str, Any]:
        """The per-connection limits: timeouts in seconds (> 0, finite), max_connections >= 1."""
        found: dict[str, Any] = {}
        for name in _TIMEOUT_KEYS:
            if name in server:
                found[name] = self.seconds(server[name], f"server.{name}")
        if "max_connections" in server:
            count = server["max_connections"]
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                problem = f"must be an integer >= 1, got {count!r}"
                raise self.fail("server.max_connections", problem)
            found["max_connections"] = count
        return found

    def public_url(self, value: Any) -> str:
        url = self.http_url(value, "server.public_url", "an absolute http(s) URL")
        return url if url.endswith("/") else url + "/"

    def check_output(self, output: str, mounts: tuple[Mount, ...]) -> None:
        if os.path.lexists(output) and not os.path.isdir(output):
            raise self.fail("server.output", f"not a directory: {output}")
        existing = nearest_existing(output)
        if not os.path.isdir(existing):
            raise self.fail("server.output", f"cannot be created: {existing} is not a directory")
        real = os.path.realpath(output)
        for index, mount in enumerate(mounts):
            if within(real, mount.root) or within(mount.root, real):
                raise self.fail("server.output", f"overlaps mount[{index}].root ({mount.root})")

    def cache(self, value: Any) -> dict[CacheClass, str]:
        table = self.table(value, "cache", {c.value for c in CacheClass})
        for name, text in table.items():
            problem = cache_control_problem(CacheClass(name), self.string(text, f"cache.{name}"))
            if problem:
                raise self.fail(f"cache.{name}", f"{problem}, got {text!r}")
        return cache_policy(table)

    def watch(self, value: Any) -> Watch:
        table = self.table(value, "watch", {"quiet", "max_wait", "rescan"})
        seconds: dict[str, float] = {}
        for name, number in table.items():
            seconds[name] = self.seconds(number, f"watch.{name}")
        return Watch(**seconds)

    def cdns(self, value: Any) -> tuple[Cdn, ...]:
        if not isinstance(value, list):
            raise self.fail("cdn", "must be an array of tables ([[cdn]])")
        result = []
        for index, item in enumerate(value):
            key = f"cdn[{index}]"
            table = self.table(item, key, {"purge", "hosts"})
            purge = self.http_url(table.get("purge"), f"{key}.purge")
            hosts = table.get("hosts", [])
            if not isinstance(hosts, list) or not all(
                isinstance(h, str) and h and not UNSAFE.search(h) for h in hosts
            ):
                raise self.fail(f"{key}.hosts", "must be a list of host names")
            result.append(Cdn(purge, tuple(hosts)))
        return tuple(result)


def make_output(config: Config) -> None:
    """Create the output directory, or fail the contract's way: a command that writes pages
    (build, serve, watch) learns that it cannot before it starts, not from a traceback."""
    try:
        os.makedirs(config.output, exist_ok=True)
        writable = os.access(config.output, os.W_OK | os.X_OK)
    except OSError as exc:
        raise ConfigError(config.path, "server.output", f"cannot create: {exc.strerror}") from None
    if not writable:
        raise ConfigError(config.path, "server.output", f"not writable: {config.output}")
