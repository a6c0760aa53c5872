"""The HTTPS listener: the same aiohttp server behind TLS, its certificate swapped on SIGHUP.

Connections are accepted with the first context; its SNI callback, which OpenSSL calls for
every ClientHello (with or without a server name), moves the handshake to the context loaded
last. So a reload reaches the next handshake, while a connection already established keeps
the certificate and session it has until it ends: none is dropped.
"""

from __future__ import annotations

import asyncio
import ssl

from aiohttp import web

from .tls import Certificate


class Certificates:
    """The certificate new handshakes get; `use` replaces it."""

    def __init__(self, first: Certificate) -> None:
        self.current = first
        self.listening = first.context
        self.listening.sni_callback = self._choose

    def use(self, certificate: Certificate) -> None:
        self.current = certificate

    def _choose(self, conn: ssl.SSLObject, name: str | None, context: ssl.SSLContext) -> None:
        current = self.current.context
        if context is not current:
            conn.context = current


class HttpsSite(web.BaseSite):
    """aiohttp's TCPSite behind TLS, whose handshake must end within `handshake_timeout`
    (header_timeout: the time a plain connection has for its request head; asyncio's own
    default is a fixed 60 s). The deadlines and the connection budget (protocol.py) start
    once the handshake is done. Like aiohttp's own sites, it uses BaseSite's private `_runner`,
    `_server`, `_ssl_context` and `_backlog` (aiohttp is held below 4: protocol.py)."""

    def __init__(
        self,
        runner: web.BaseRunner,
        host: str,
        port: int,
        certificates: Certificates,
        handshake_timeout: float,
        reuse_port: bool | None = None,
        backlog: int = 128,
    ) -> None:
        super().__init__(runner, ssl_context=certificates.listening, backlog=backlog)
        self._host, self._port = host, port
        self._handshake_timeout = handshake_timeout
        self._reuse_port = reuse_port

    @property
    def name(self) -> str:
        return f"https://{self._host}:{self._port}/"

    @property
    def port(self) -> int:
        """The port bound (a real one where 0 was asked for)."""
        assert self._server is not None
        return self._server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def start(self) -> None:
        await super().start()
        server = self._runner.server
        assert server is not None
        self._server = await asyncio.get_running_loop().create_server(
            server,
            self._host,
            self._port,
            ssl=self._ssl_context,
            backlog=self._backlog,
            reuse_port=self._reuse_port,
            ssl_handshake_timeout=self._handshake_timeout,
        )
