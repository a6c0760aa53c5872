"""Conditional requests against a live `snapfront serve`, as APT and caches send them:
If-None-Match and If-Modified-Since give 304 with the 200's validators, If-Match and
If-Unmodified-Since give 412 (never stored)."""

from __future__ import annotations

import time

import pytest

from tests.http_support import (
    SIGNED,
    Item,
    assert_no_store,
    etag_of,
    http_date,
    raw,
)

# ---------------------------------------------------------------- conditional requests


pytestmark = pytest.mark.live


@pytest.mark.parametrize("form", ["exact", "weak", "list", "star"])
@pytest.mark.parametrize("name", ["inrelease", "deb"])
def test_if_none_match_gives_304_with_the_200s_validators(
    base_url: str, sample_items: dict[str, Item], name: str, form: str
) -> None:
    item = sample_items[name]
    full = raw(base_url, item.path)
    etag = full.header("ETag")
    value = {"exact": etag, "weak": "W/" + etag, "list": f'"nope", {etag}, "other"', "star": "*"}
    reply = raw(base_url, item.path, headers={"If-None-Match": value[form]})
    assert reply.status == 304
    assert reply.body == b""
    for field in ("ETag", "Cache-Control", "Last-Modified"):
        assert reply.header(field) == full.header(field), field


def test_if_none_match_not_matching_gives_200(base_url: str, sample_items: dict[str, Item]) -> None:
    item = sample_items["inrelease"]
    reply = raw(base_url, item.path, headers={"If-None-Match": '"0-0", W/"1-1"'})
    assert reply.status == 200
    assert reply.body == item.data


@pytest.mark.parametrize(("offset", "status"), [(0, 304), (3600, 304), (-86400, 200)])
def test_if_modified_since(
    base_url: str, sample_items: dict[str, Item], offset: int, status: int
) -> None:
    """APT sends the stored file's date for InRelease and expects 304 while it is current."""
    item = sample_items["inrelease"]
    since = http_date(item.file.stat().st_mtime + offset)
    reply = raw(base_url, item.path, headers={"If-Modified-Since": since})
    assert reply.status == status
    if status == 304:
        assert reply.body == b""
        assert reply.header("ETag") == etag_of(item.file)
        assert reply.header("Cache-Control") == SIGNED
    else:
        assert reply.body == item.data


def test_if_none_match_takes_precedence_over_if_modified_since(
    base_url: str, sample_items: dict[str, Item]
) -> None:
    item = sample_items["inrelease"]
    future = http_date(time.time() + 86400)
    headers = {"If-None-Match": '"0-0"', "If-Modified-Since": future}
    reply = raw(base_url, item.path, headers=headers)
    assert reply.status == 200
    assert reply.body == item.data


def test_if_match_not_matching_is_412_no_store(
    base_url: str, sample_items: dict[str, Item]
) -> None:
    item = sample_items["deb"]
    reply = raw(base_url, item.path, headers={"If-Match": '"0-0"'})
    assert reply.status == 412
    assert_no_store(reply)
    assert item.data not in reply.body


def test_if_match_matching_is_200(base_url: str, sample_items: dict[str, Item]) -> None:
    item = sample_items["deb"]
    reply = raw(base_url, item.path, headers={"If-Match": etag_of(item.file)})
    assert reply.status == 200
    assert reply.body == item.data


def test_if_unmodified_since_before_last_modified_is_412(
    base_url: str, sample_items: dict[str, Item]
) -> None:
    item = sample_items["deb"]
    before = http_date(item.file.stat().st_mtime - 86400)
    reply = raw(base_url, item.path, headers={"If-Unmodified-Since": before})
    assert reply.status == 412
    assert_no_store(reply)
