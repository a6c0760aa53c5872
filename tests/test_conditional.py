"""Preconditions and If-Range as a client sees them: which status its request earns."""

from __future__ import annotations

import pytest
from multidict import CIMultiDict

from snapfront.server.conditional import Outcome, evaluate, if_range_allows_partial
from snapfront.server.httpdate import format_http_date, parse_http_date

pytestmark = pytest.mark.pure


ETAG = '"1a2b-3c"'
MTIME = 784111777  # Sun, 06 Nov 1994 08:49:37 GMT
AT = format_http_date(MTIME)
BEFORE = format_http_date(MTIME - 1)
AFTER = format_http_date(MTIME + 1)
OK, NOT_MODIFIED, FAILED = Outcome.OK, Outcome.NOT_MODIFIED, Outcome.PRECONDITION_FAILED


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("Sun, 06 Nov 1994 08:49:37 GMT", MTIME),  # IMF-fixdate
        ("Sunday, 06-Nov-94 08:49:37 GMT", MTIME),  # RFC 850
        ("Sun Nov  6 08:49:37 1994", MTIME),  # asctime: no zone, still UTC
        ("  Sun, 06 Nov 1994 08:49:37 GMT ", MTIME),
        (None, None),
        ("", None),
        ("yesterday", None),
        ("Sun, 06 Nov 1994 25:49:37 GMT", None),
        ("Sun, 06 Nov 99999 08:49:37 GMT", None),
    ],
)
def test_parse_http_date(value: str | None, seconds: int | None) -> None:
    assert parse_http_date(value) == seconds


def test_format_http_date_is_imf_fixdate_and_round_trips() -> None:
    assert AT == "Sun, 06 Nov 1994 08:49:37 GMT"
    assert parse_http_date(format_http_date(1_700_000_000)) == 1_700_000_000


@pytest.mark.parametrize(
    ("headers", "method", "expected"),
    [
        ({}, "GET", OK),
        # If-Match: strong comparison, 412 when nothing matches (§13.1.1)
        ({"If-Match": ETAG}, "GET", OK),
        ({"If-Match": "*"}, "PUT", OK),
        ({"If-Match": '"other", "1a2b-3c"'}, "GET", OK),
        ({"If-Match": '"other"'}, "GET", FAILED),
        ({"If-Match": 'W/"1a2b-3c"'}, "GET", FAILED),
        ({"If-Match": "1a2b-3c"}, "GET", FAILED),  # unquoted: not an entity-tag
        ({"if-match": '"other"'}, "GET", FAILED),  # field names are case-insensitive
        # If-Match wins over If-Unmodified-Since (§13.2.2 step 2 only without If-Match)
        ({"If-Match": ETAG, "If-Unmodified-Since": BEFORE}, "GET", OK),
        # If-Unmodified-Since (§13.1.4)
        ({"If-Unmodified-Since": AT}, "PUT", OK),
        ({"If-Unmodified-Since": AFTER}, "GET", OK),
        ({"If-Unmodified-Since": BEFORE}, "GET", FAILED),
        ({"If-Unmodified-Since": "not a date"}, "GET", OK),
        # If-None-Match: weak comparison (§13.1.2)
        ({"If-None-Match": ETAG}, "GET", NOT_MODIFIED),
        ({"If-None-Match": ETAG}, "HEAD", NOT_MODIFIED),
        ({"If-None-Match": 'W/"1a2b-3c"'}, "GET", NOT_MODIFIED),
        ({"If-None-Match": "*"}, "GET", NOT_MODIFIED),
        ({"If-None-Match": ETAG}, "POST", FAILED),
        ({"If-None-Match": "*"}, "PUT", FAILED),
        ({"If-None-Match": '"a,b" ,\t"1a2b-3c"'}, "GET", NOT_MODIFIED),
        ({"If-None-Match": '"a,b", "c"'}, "GET", OK),
        ({"If-None-Match": '"1a2b-3c,x"'}, "GET", OK),  # the comma is part of the tag
        ({"If-None-Match": 'junk, "1a2b-3c"'}, "GET", NOT_MODIFIED),
        ({"If-None-Match": '"other"'}, "GET", OK),
        # If-None-Match present: If-Modified-Since is not looked at (§13.2.2 step 3)
        ({"If-None-Match": '"other"', "If-Modified-Since": AT}, "GET", OK),
        # If-Modified-Since: APT's revalidation of Release files (§13.1.3)
        ({"If-Modified-Since": AT}, "GET", NOT_MODIFIED),
        ({"If-Modified-Since": AFTER}, "HEAD", NOT_MODIFIED),
        ({"If-Modified-Since": BEFORE}, "GET", OK),
        ({"If-Modified-Since": AT}, "POST", OK),
        ({"If-Modified-Since": "0"}, "GET", OK),
        # A failed If-Match is final, whatever If-None-Match says
        ({"If-Match": '"other"', "If-None-Match": ETAG}, "GET", FAILED),
        ({"If-Match": ETAG, "If-None-Match": ETAG}, "GET", NOT_MODIFIED),
    ],
)
def test_evaluate(headers: dict[str, str], method: str, expected: Outcome) -> None:
    result = evaluate(CIMultiDict(headers), method=method, etag=ETAG, last_modified=MTIME)
    assert result is expected


def test_repeated_list_fields_form_one_list() -> None:
    headers = CIMultiDict([("If-None-Match", '"a"'), ("If-None-Match", ETAG)])
    assert evaluate(headers, method="GET", etag=ETAG, last_modified=MTIME) is NOT_MODIFIED


def test_plain_mapping_is_accepted() -> None:
    headers = {"If-None-Match": ETAG}
    assert evaluate(headers, method="GET", etag=ETAG, last_modified=MTIME) is NOT_MODIFIED


@pytest.mark.parametrize(
    ("value", "partial"),
    [
        (None, True),
        (ETAG, True),
        (f" {ETAG} ", True),
        ('"1a2b-3d"', False),  # file changed: the whole new file, not a corrupt resume
        ('W/"1a2b-3c"', False),  # weak tags never allow a partial
        (f'{ETAG}, "x"', False),
        ('"1a2b', False),
        (AT, True),  # APT: If-Range with the old Last-Modified
        ("Sunday, 06-Nov-94 08:49:37 GMT", True),
        (BEFORE, False),
        (AFTER, False),  # not "<=": only the exact second identifies the bytes
        ("", False),
        ("*", False),
        ("garbage", False),
    ],
)
def test_if_range(value: str | None, partial: bool) -> None:
    assert if_range_allows_partial(value, etag=ETAG, last_modified=MTIME) is partial


def test_without_a_date_the_date_preconditions_are_ignored() -> None:
    """A representation without a modification date: §13.1.3-4 ignore the date conditions,
    and If-Range by date never allows a partial answer."""
    for header in ("If-Modified-Since", "If-Unmodified-Since"):
        assert evaluate({header: AT}, method="GET", etag=ETAG, last_modified=None) is Outcome.OK
    assert evaluate({"If-None-Match": ETAG}, method="GET", etag=ETAG, last_modified=None) is (
        Outcome.NOT_MODIFIED
    )
    assert not if_range_allows_partial(AT, etag=ETAG, last_modified=None)
    assert if_range_allows_partial(ETAG, etag=ETAG, last_modified=None)
