"""aiohttp's server with one change: the 4xx its own parser answers are never cached either.

A request line aiohttp cannot parse (a raw space, a bad header) is answered before our
handler runs; DESIGN's error class applies to those 4xx as much as to ours.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.web_protocol import RequestHandler


class _Handler(RequestHandler):
    error_cache_control = "no-store"

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        resp = super().handle_error(request, status, exc, message)
        if 400 <= resp.status < 500:
            resp.headers["Cache-Control"] = self.error_cache_control
        return resp


class Server(web.Server):
    def __init__(self, *args: object, error_cache_control: str = "no-store", **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._error_cache_control = error_cache_control

    def __call__(self) -> RequestHandler:
        handler = _Handler(self, loop=self._loop, **self._kwargs)
        handler.error_cache_control = self._error_cache_control
        return handler
