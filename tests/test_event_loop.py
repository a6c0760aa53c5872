"""The server's event loop: uvloop where importable, asyncio's own when asked (README: Serving
at speed). The live tests run on the default, so they cover uvloop's sockets, TLS and large
files; this says which loop that default is."""

from __future__ import annotations

import pytest

from snapfront.server.run import LOOP_ENV, loop_factory

pytestmark = pytest.mark.pure


def test_uvloop_is_the_default_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LOOP_ENV, raising=False)
    factory = loop_factory()
    assert factory is not None, "uvloop is missing: apt-get install python3-uvloop"
    assert factory.__module__.startswith("uvloop")


def test_the_stdlib_loop_on_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LOOP_ENV, "asyncio")
    assert loop_factory() is None
    monkeypatch.setenv(LOOP_ENV, "uvloop")
    factory = loop_factory()
    assert factory is not None and factory.__module__.startswith("uvloop")
