"""A snapfront config over the sample host's roots with an output of its own, and polling."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path

from snapfront.sample import SampleHost
from tests.support import Reply, fetch


def private_config(host: SampleHost, directory: Path, server: str = "", extra: str = "") -> Path:
    """The sample config with absolute roots, output in `directory`, and extra TOML."""
    text = host.config.read_text()
    text = re.sub(r'(?m)^(root|keyring) = "(.*)"$', lambda m: f'{m[1]} = "{host.dir / m[2]}"', text)
    text = re.sub(r'(?m)^listen = ".*"$', 'listen = "127.0.0.1:0"', text)
    text = re.sub(r'(?m)^output = ".*"$', f'output = "{directory / "output"}"\n{server}', text)
    config = directory / "snapfront.toml"
    config.write_text(text + extra)
    return config


def wait_for(
    probe: Callable[[], Reply], check: Callable[[Reply], bool], timeout: float = 10.0
) -> Reply:
    deadline = time.monotonic() + timeout
    while True:
        reply = probe()
        if check(reply) or time.monotonic() > deadline:
            return reply
        time.sleep(0.2)


def status(base: str) -> dict:
    reply = fetch(base + "/-/status.json")
    assert reply.status == 200, reply
    return json.loads(reply.body)
