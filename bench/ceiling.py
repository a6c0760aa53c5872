"""The framework's ceiling: an aiohttp handler answering from a dict in memory, no disk at all.

    python3 bench/ceiling.py PORT WORKERS URL=FILE ...

Serves each FILE's bytes at its URL (with a fixed ETag and 304 on If-None-Match), 404 for
anything else, on 127.0.0.1:PORT with WORKERS processes (SO_REUSEPORT). What snapfront adds
on top of aiohttp is measured against this.
"""

from __future__ import annotations

import asyncio
import os
import sys

from aiohttp import web

ETAG = '"ceiling"'


def main() -> None:
    port, workers = int(sys.argv[1]), int(sys.argv[2])
    files = {}
    for spec in sys.argv[3:]:
        url, _, path = spec.partition("=")
        with open(path, "rb") as fh:
            files[url] = fh.read()

    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        body = files.get(request.path)
        if body is None:
            return web.Response(status=404, text="not found\n")
        headers = {"ETag": ETAG, "Cache-Control": "public, max-age=120"}
        if request.headers.get("If-None-Match") == ETAG:
            return web.Response(status=304, headers=headers)
        return web.Response(body=body, headers=headers, content_type="text/plain")

    async def serve() -> None:
        runner = web.ServerRunner(web.Server(handle, access_log=None))
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port, reuse_port=True).start()
        print("ready", flush=True)
        await asyncio.Event().wait()

    for _ in range(workers - 1):
        if os.fork() == 0:
            break
    asyncio.run(serve())


if __name__ == "__main__":
    main()
