"""[server] tls_listen, tls_certificate, tls_key: the optional HTTPS listener (README: TLS).

Only the shape is checked here, for every command: the files themselves are read by `serve`
and `check-config` (server.tls), because other commands (a cron `snapshot take` as the
reprepro user) need not be able to read a private key."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

KEYS = ("tls_listen", "tls_certificate", "tls_key")
WILDCARDS = ("0.0.0.0", "::")

Fail = Callable[[str, str], Exception]


@dataclass(frozen=True)
class Tls:
    host: str
    port: int
    certificate: str  # PEM: the certificate, then its intermediates (certbot's fullchain.pem)
    key: str  # PEM, unencrypted (certbot's privkey.pem)


def tls(
    server: Mapping[str, Any],
    fail: Fail,
    abspath: Callable[[Any, str], str],
    listen: Callable[[Any, str], tuple[str, int]],
    http: tuple[str, int],
) -> Tls | None:
    """The HTTPS listener, or None when none of the keys is set; all three go together."""
    given = [name for name in KEYS if name in server]
    if not given:
        return None
    if "tls_listen" not in server:
        raise fail(f"server.{given[0]}", "set without server.tls_listen, which would use it")
    for name in KEYS[1:]:
        if name not in server:
            raise fail(f"server.{name}", "required with server.tls_listen")
    host, port = listen(server["tls_listen"], "server.tls_listen")
    overlap = host == http[0] or host in WILDCARDS or http[0] in WILDCARDS
    if port and port == http[1] and overlap:
        raise fail("server.tls_listen", f"the same port as server.listen ({http[0]}:{http[1]})")
    return Tls(
        host,
        port,
        abspath(server["tls_certificate"], "server.tls_certificate"),
        abspath(server["tls_key"], "server.tls_key"),
    )
