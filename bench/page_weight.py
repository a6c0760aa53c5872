"""Bytes on the wire of generated pages: what a first and a repeat visit download.

    python3 bench/page_weight.py --config snapfront.toml [PATH ...]

Serves the config's output (`snapfront serve --no-watch`, from the current directory, so
running it from another checkout measures that checkout's pages) and fetches each PATH without
Accept-Encoding and with `Accept-Encoding: br`, then every stylesheet and script the page
links. A first visit downloads the page and those; a repeat visit (another page of the site)
only the page, since the linked files are cached for good. Without PATH: the largest listing
of the output and a pool page, if any. Prints one Markdown table.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from snapfront.base.config import load
from tests.support import fetch, running_server, with_listen

LINKED = re.compile(rb'<(?:link rel="stylesheet" href|script[^>]* src)="([^"]+)"')
CODINGS = {"raw": {}, "br": {"Accept-Encoding": "br"}}


def default_paths(output: Path) -> list[str]:
    """The largest index.html's URL, and the first pool directory's (sorted, so stable)."""
    pages = sorted(output.rglob("index.html"))
    largest = max(pages, key=lambda p: p.stat().st_size)
    pool = [p for p in pages if p.relative_to(output).parts[-5:-3] == ("pool", "main")]
    chosen = [largest, *pool[:1]]  # pool/main/h/hello/index.html: a source package's page
    return ["/" + p.parent.relative_to(output).as_posix() + "/" for p in chosen]


def weigh(base: str, path: str) -> dict[str, tuple[int, int]]:
    """coding → (page bytes, linked files' bytes), as received (Content-Length)."""
    found = {}
    for name, headers in CODINGS.items():
        page = fetch(base + path, headers=headers)
        assert page.status == 200, (path, page.status)
        links = LINKED.findall(fetch(base + path).body)
        extra = sum(len(fetch(base + link.decode(), headers=headers).body) for link in links)
        found[name] = (len(page.body), extra)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("paths", nargs="*")
    args = parser.parse_args(argv)
    config = with_listen(args.config, "127.0.0.1:0", args.config.with_suffix(".weight.toml"))
    output = Path(load(str(config)).output)
    paths = args.paths or default_paths(output)
    print(f"pages of {output} served by the snapfront in {os.getcwd()}\n")
    print("| page | coding | page, B | linked files, B | first visit, B | repeat visit, B |")
    print("|---|---|---:|---:|---:|---:|")
    with running_server(config, "--no-watch", timeout=120) as server:
        base = server.url.rstrip("/")
        for path in paths:
            for coding, (page, extra) in weigh(base, path).items():
                row = (path, coding, f"{page:,}", f"{extra:,}", f"{page + extra:,}", f"{page:,}")
                print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
