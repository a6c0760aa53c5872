"""Accept-Encoding → the precompressed variants a client may be sent, best first."""

import pytest

from snapfront.server.negotiate import acceptable

pytestmark = pytest.mark.pure


@pytest.mark.parametrize(
    ("header", "codings"),
    [
        (None, []),
        ("", []),
        ("identity", []),
        ("gzip", ["gzip"]),
        ("br", ["br"]),
        ("gzip, deflate, br", ["br", "gzip"]),
        ("gzip;q=1.0, br;q=0.5", ["gzip", "br"]),
        ("br;q=0, gzip", ["gzip"]),
        ("*", ["br", "gzip"]),
        ("*;q=0.5, br;q=0", ["gzip"]),
        ("GZIP", ["gzip"]),
        ("br;q=abc, gzip", ["gzip"]),
    ],
)
def test_acceptable(header: str | None, codings: list[str]) -> None:
    assert [c for c, _ in acceptable(header)] == codings
