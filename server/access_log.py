"""One access-log line per request, in the combined format operators' tools already parse.

aiohttp's own `%b` counts only bytes written through its buffer, so sendfile bodies would
be logged as a few hundred bytes; this logs the body length actually promised and sent.
"""

from __future__ import annotations

import time

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger


class AccessLogger(AbstractAccessLogger):
    def log(self, request: web.BaseRequest, response: web.StreamResponse, elapsed: float) -> None:
        sent = response.content_length or 0
        if request.method == "HEAD" or response.status in (204, 304):
            sent = 0
        when = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime())
        referer = request.headers.get("Referer", "-")
        agent = request.headers.get("User-Agent", "-")
        line = (
            f"{request.remote} - - [{when}] "
            f'"{request.method} {request.raw_path} HTTP/{request.version.major}.'
            f'{request.version.minor}" {response.status} {sent} "{referer}" "{agent}" {elapsed:.6f}'
        )
        self.logger.info(line)
