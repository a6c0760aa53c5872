"""Many clients at once, every body checked: the load of bench/archive.py's "many clients" test.

    python3 bench/archive_clients.py download PORT PATH SHA256 COUNT RATE RAMP
    python3 bench/archive_clients.py keepalive PORT COUNT SECONDS PATH=SHA256 ...

wrk cannot verify bodies and one curl per connection would need 10,000 processes, so this is a
small asyncio client on raw sockets (HTTP/1.1, Content-Length bodies only). `download` opens
COUNT connections spread over RAMP seconds, each reading PATH at RATE bytes/s through a small
receive buffer (the server holds the rest), and hashes every body. `keepalive` runs COUNT
connections that fetch the given small files in turn on one kept-alive connection each.
Either prints one JSON object: counts, failures by reason, bytes, seconds.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import json
import socket
import sys
import time

RCVBUF = 16 * 1024
TIMEOUT = 300.0


async def _connect(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)  # before connect: the window
    sock.setblocking(False)
    try:
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    except BaseException:
        sock.close()
        raise
    return await asyncio.open_connection(sock=sock, limit=1 << 16)


async def _head(reader: asyncio.StreamReader) -> tuple[int, int, bool]:
    """(status, Content-Length, server closes after this response)."""
    lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    if "content-length" not in headers:
        raise ValueError("no Content-Length")
    return status, int(headers["content-length"]), headers.get("connection", "") == "close"


async def _download(port: int, path: str, sha: str, rate: float, delay: float) -> tuple[str, int]:
    """One rate-limited download: ("ok" or why not, bytes received)."""
    await asyncio.sleep(delay)
    got = 0
    try:
        reader, writer = await _connect(port)
        try:
            writer.write(
                f"GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n".encode()
            )
            status, length, _ = await _head(reader)
            if status != 200:
                return f"status {status}", 0
            digest, start = hashlib.sha256(), time.monotonic()
            while got < length:
                chunk = await reader.read(min(RCVBUF, length - got))
                if not chunk:
                    return "short body", got
                got += len(chunk)
                digest.update(chunk)
                ahead = got / rate - (time.monotonic() - start)
                if ahead > 0:
                    await asyncio.sleep(ahead)
            return ("ok" if digest.hexdigest() == sha else "sha256 mismatch"), got
        finally:
            writer.close()
    except (OSError, ValueError, IndexError, asyncio.IncompleteReadError) as exc:
        return type(exc).__name__, got


async def download(port: int, path: str, sha: str, count: int, rate: float, ramp: float) -> dict:
    start = time.monotonic()
    jobs = [
        asyncio.wait_for(_download(port, path, sha, rate, ramp * i / count), TIMEOUT)
        for i in range(count)
    ]
    results = await asyncio.gather(*jobs, return_exceptions=True)
    seconds = time.monotonic() - start
    outcomes = [r if isinstance(r, tuple) else (type(r).__name__, 0) for r in results]
    reasons = collections.Counter(reason for reason, _ in outcomes)
    total = sum(got for _, got in outcomes)
    return {
        "count": count,
        "ok": reasons.pop("ok", 0),
        "failures": dict(reasons),
        "bytes": total,
        "seconds": seconds,
    }


async def _loop(port: int, files: list[tuple[str, str]], until: float, tally: collections.Counter):
    """One kept-alive connection fetching `files` round robin until `until`."""
    i = 0
    while time.monotonic() < until:
        try:
            reader, writer = await _connect(port)
        except OSError as exc:
            tally[type(exc).__name__] += 1
            await asyncio.sleep(0.1)
            continue
        try:
            while time.monotonic() < until:
                path, sha = files[i % len(files)]
                i += 1
                writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
                status, length, closing = await _head(reader)
                body = await reader.readexactly(length)
                ok = status == 200 and hashlib.sha256(body).hexdigest() == sha
                tally[
                    "ok" if ok else f"status {status}" if status != 200 else "sha256 mismatch"
                ] += 1
                if closing:
                    tally["reconnects"] += 1  # nginx: keepalive_requests (1,000) reached
                    break
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError) as exc:
            tally[type(exc).__name__] += 1
        finally:
            writer.close()


async def keepalive(port: int, count: int, seconds: float, files: list[tuple[str, str]]) -> dict:
    tally: collections.Counter = collections.Counter()
    start = time.monotonic()
    await asyncio.gather(*(_loop(port, files, start + seconds, tally) for _ in range(count)))
    elapsed = time.monotonic() - start
    ok, reconnects = tally.pop("ok", 0), tally.pop("reconnects", 0)
    return {
        "count": count,
        "ok": ok,
        "failures": dict(tally),
        "reconnects": reconnects,
        "seconds": elapsed,
        "requests_per_second": ok / elapsed,
    }


def main(argv: list[str]) -> int:
    if argv[0] == "download":
        port, path, sha, count, rate, ramp = argv[1:7]
        result = asyncio.run(download(int(port), path, sha, int(count), float(rate), float(ramp)))
    else:
        port, count, seconds, *specs = argv[1:]
        files = [tuple(spec.rsplit("=", 1)) for spec in specs]
        result = asyncio.run(keepalive(int(port), int(count), float(seconds), files))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
