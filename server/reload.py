"""SIGHUP: re-read the config, the codenames and the TLS certificate, or keep the old ones.

A refusal is one line whatever the number of processes: with several workers the supervisor
checks the new config (and certificate) once, and only then tells the workers and the
watcher; with one, serve tells the watcher only of a config that loaded.
"""

from __future__ import annotations

import logging
import sys

from snapfront.base.config import Config, ConfigError, load

from . import tls
from .https import Certificates
from .origin import Origin

log = logging.getLogger("snapfront")


def reload_origin(origin: Origin, certificates: Certificates | None) -> bool:
    """Apply the config on disk (and its certificate, for the next handshake); a broken config,
    certificate or key keeps the old ones, said in one line. True if reloaded."""
    old = origin.config
    try:
        new = load(old.path)
        fresh = tls.load(new) if certificates is not None and new.tls is not None else None
    except ConfigError as exc:
        say_refused(exc, certificates is not None)
        return False
    before = (old.host, old.port, old.workers, old.tls and (old.tls.host, old.tls.port))
    if (new.host, new.port, new.workers, new.tls and (new.tls.host, new.tls.port)) != before:
        log.warning("listen, tls_listen or workers changed; restart snapfront to apply that")
    origin.apply(new)
    if certificates is None or fresh is None:
        log.info("reloaded %s: %d mounts", new.path, len(new.mounts))
        return True
    certificates.use(fresh)
    log.info("reloaded %s: %d mounts, certificate %s", new.path, len(new.mounts), fresh.describe())
    if fresh.warning:
        log.warning("%s", fresh.warning)
    return True


def refused(config: Config) -> bool:
    """Whether the config at `config.path` (and its certificate) would be refused now; said once."""
    try:
        new = load(config.path)
        if config.tls is not None and new.tls is not None:
            tls.load(new)
    except ConfigError as exc:
        say_refused(exc, config.tls is not None)
        return True
    return False


def say_refused(exc: ConfigError, with_certificate: bool) -> None:
    kept = "old config and certificate kept" if with_certificate else "old config kept"
    # One write: the processes share stderr, and their lines must not interleave.
    print(f"snapfront: reload refused, {kept}: {exc}", file=sys.stderr, flush=True)


def certificates_for(config: Config, checked: tls.Certificate | None) -> Certificates | None:
    """This process's certificate, read again (a worker started after a renewal serves the new
    one), else the one checked before serving began."""
    if checked is None:
        return None
    try:
        return Certificates(tls.load(config))
    except ConfigError:
        return Certificates(checked)
