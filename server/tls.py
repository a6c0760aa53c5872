"""The HTTPS listener's SSLContext: `tls_certificate` and `tls_key` under Mozilla's
"intermediate" profile (server-side TLS guidelines, version 5).

- TLS 1.2 and 1.3 only. For 1.2, ECDHE with AES-GCM or ChaCha20-Poly1305 only; 1.3's three
  suites (all AEAD) are OpenSSL's defaults. The client's order wins, as the profile says: all
  of them are strong, and a client without AES hardware rightly prefers ChaCha20.
- No compression, no renegotiation, no TLS 1.2 session tickets (their key would live as long
  as the process). DHE is left out: it needs a DH parameter file, and every client the
  profile names speaks ECDHE.
- Groups are OpenSSL's defaults (X25519, P-256, X448, P-521, P-384): Python's ssl can set one
  curve only, and Mozilla's three are among them.

A certificate or key that cannot serve is a config error naming the key and the file, found
before anything listens: both files are read, every certificate of the chain is parsed, the
pair loaded, and one handshake completed in memory against the certificate itself. That
handshake also says whether the certificate has expired: a warning, not an error (certbot
renews a day late; refusing to start would take plain HTTP down with HTTPS).
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from snapfront.base.config import Config, ConfigError

CIPHERS = ":".join(
    (
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "ECDHE-RSA-CHACHA20-POLY1305",
    )
)
CERTIFICATE_REASONS = ("EE_KEY_TOO_SMALL", "CA_KEY_TOO_SMALL", "CA_MD_TOO_WEAK")
"""OpenSSL's refusals of the certificate (not the key) when the pair is loaded."""
NOT_IN_FORCE = (9, 10)  # X509_V_ERR_CERT_NOT_YET_VALID, X509_V_ERR_CERT_HAS_EXPIRED
HANDSHAKE_ROUNDS = 8


@dataclass(frozen=True)
class Certificate:
    """A loaded pair: the context new connections use, and what to say about it."""

    context: ssl.SSLContext
    path: str
    not_after: datetime | None  # None when it is not in force (see `warning`)
    warning: str | None = None

    def describe(self) -> str:
        if self.not_after is None:
            return self.path if self.warning is None else f"{self.path} (not in force)"
        return f"{self.path} (valid until {self.not_after:%Y-%m-%d %H:%M} UTC)"


class _Encrypted(Exception):
    """The key asked for a passphrase: snapfront starts unattended, so it has none."""


def _no_passphrase() -> bytes:
    raise _Encrypted


def server_context() -> ssl.SSLContext:
    """The profile, without a certificate yet."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.maximum_version = ssl.TLSVersion.TLSv1_3
    context.set_ciphers(CIPHERS)
    context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_NO_RENEGOTIATION | ssl.OP_NO_TICKET
    context.options &= ~ssl.OP_CIPHER_SERVER_PREFERENCE  # Python sets it; the profile does not
    context.set_alpn_protocols(["http/1.1"])
    return context


def load(config: Config) -> Certificate:
    """The context for `config.tls`; ConfigError names the key and the file that cannot serve."""
    assert config.tls is not None
    cert, key = config.tls.certificate, config.tls.key

    def fail(name: str, problem: str) -> ConfigError:
        return ConfigError(config.path, f"server.{name}", problem)

    chain = _read(cert, "tls_certificate", fail)
    _read(key, "tls_key", fail)
    trusting = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # the handshake's client trusts the chain
    trusting.check_hostname = False
    trusting.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    try:
        trusting.load_verify_locations(cadata=chain)
    except (ssl.SSLError, ValueError):
        raise fail("tls_certificate", f"{cert} holds no PEM certificate") from None
    context = server_context()
    try:
        context.load_cert_chain(cert, key, password=_no_passphrase)
    except _Encrypted:
        raise fail("tls_key", f"{key} is encrypted: snapfront has no passphrase") from None
    except ssl.SSLError as exc:
        if exc.reason == "KEY_VALUES_MISMATCH":
            raise fail("tls_key", f"{key} is not the key of the certificate in {cert}") from None
        if exc.reason in CERTIFICATE_REASONS:
            raise fail("tls_certificate", f"{cert}: {exc.reason.lower()}") from None
        raise fail("tls_key", f"{key} holds no PEM private key") from None
    except OSError as exc:  # replaced between the read above and this one
        raise fail("tls_key", f"cannot read {key}: {exc.strerror}") from None
    not_after, problem = _handshake(context, trusting, cert, fail)
    warning = None
    if problem:
        warning = (
            f"snapfront: {config.path}: warning: server.tls_certificate: {cert}: {problem}; "
            "served all the same: renew it"
        )
    return Certificate(context, cert, not_after, warning)


def _read(path: str, name: str, fail: Callable[[str, str], ConfigError]) -> str:
    try:
        with open(path, encoding="ascii", errors="replace") as fh:
            return fh.read()
    except OSError as exc:
        raise fail(name, f"cannot read {path}: {exc.strerror}") from None


def _handshake(
    context: ssl.SSLContext,
    trusting: ssl.SSLContext,
    cert: str,
    fail: Callable[[str, str], ConfigError],
) -> tuple[datetime | None, str | None]:
    """One handshake in memory, a client trusting the chain against `context`: proof that the
    pair serves under the profile; returns when the certificate ends, or why it is not in
    force (expired, not yet valid)."""
    bios = [ssl.MemoryBIO() for _ in range(4)]
    client = trusting.wrap_bio(bios[0], bios[1])
    server = context.wrap_bio(bios[2], bios[3], server_side=True)
    for _ in range(HANDSHAKE_ROUNDS):
        try:
            client.do_handshake()
        except ssl.SSLWantReadError:
            pass
        except ssl.SSLCertVerificationError as exc:
            if exc.verify_code in NOT_IN_FORCE:
                return None, exc.verify_message
            break  # a purpose or extension this check does not judge: the pair did serve
        else:
            seconds = ssl.cert_time_to_seconds(client.getpeercert()["notAfter"])
            return datetime.fromtimestamp(seconds, UTC), None
        bios[2].write(bios[1].read())
        try:
            server.do_handshake()
        except ssl.SSLWantReadError:
            pass
        except ssl.SSLError as exc:
            raise fail("tls_certificate", f"{cert}: no TLS handshake with it: {exc}") from None
        bios[0].write(bios[3].read())
    return None, None
