"""A real headless Chromium looks at the generated pages served by the running server."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from snapfront.sample import SampleHost
from tests.browser import (
    WIDE,
    artifacts,
    build_wide_host,
    fits,
    launch,
    open_page,
    rows_on_screen,
)
from tests.support import running_server

pytestmark = pytest.mark.system


ROWS_PER_SCREEN = 40
"""At least this many listing rows on a 1280 x 1100 screen (nginx autoindex shows ~68)."""


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with launch() as browser:
        yield browser


@pytest.fixture(scope="module")
def wide_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """/wide/ of a host of its own: WIDE tarballs, served by a real `snapfront serve`."""
    config = build_wide_host(tmp_path_factory.mktemp("wide"))
    with running_server(config) as running:
        yield running.url + "wide/"


def background(page) -> str:
    return page.evaluate("getComputedStyle(document.body).backgroundColor")


def test_a_broken_page_does_report_errors(browser, sample_host: SampleHost, base_url: str) -> None:
    """The console check can fail: a page with a script error and a missing image is caught."""
    broken = sample_host.output / "broken-check" / "index.html"
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_text("<!doctype html><title>x</title><img src='/nope.png'><script>nope()</script>")
    try:
        page, errors = open_page(browser, f"{base_url}/broken-check/")
        page.wait_for_timeout(200)
        assert errors, "a broken page must produce console errors"
    finally:
        shutil.rmtree(broken.parent)


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("dark", [False, True])
def test_releases_page(browser, base_url: str, width: int, dark: bool) -> None:
    page, errors = open_page(browser, f"{base_url}/mediawiki/1.41/", width, dark)
    names = page.locator("table.listing tr:not(.up) td.name a:not(.sig)").all_inner_texts()
    assert names[:2] == ["mediawiki-1.41.1.tar.gz", "mediawiki-1.41.0.tar.gz"], names
    assert not any(n.endswith((".sig", ".asc")) for n in names), names
    row = page.locator("tr", has_text="mediawiki-1.41.1.tar.gz")
    assert row.locator("a", has_text="sig").count() == 1
    assert row.locator("a", has_text="asc").count() == 1
    assert errors == [], errors
    assert fits(page), "horizontal scrolling at this width"
    page.screenshot(path=str(artifacts() / f"releases-{width}-{'dark' if dark else 'light'}.png"))


def test_version_order_across_branches(browser, base_url: str) -> None:
    page, errors = open_page(browser, f"{base_url}/mediawiki/")
    names = page.locator("table.listing tr:not(.up) td.name a:not(.sig)").all_inner_texts()
    assert names[:3] == ["1.41/", "1.10/", "1.9/"], names
    assert errors == []


def test_dark_mode_changes_the_background(browser, base_url: str) -> None:
    light, _ = open_page(browser, f"{base_url}/debian/", dark=False)
    dark, _ = open_page(browser, f"{base_url}/debian/", dark=True)
    assert background(light) != background(dark)


@pytest.mark.parametrize("width", [1280, 375])
def test_snapshot_pages(browser, sample_host: SampleHost, base_url: str, width: int) -> None:
    old, new = sample_host.serials
    page, errors = open_page(browser, f"{base_url}/debian/", width)
    text = page.inner_text("body")
    assert text.index(new) < text.index(old), "serials newest first"
    assert "valid" in text and "bookworm" in text and "jessie/updates" in text
    assert errors == [] and fits(page)
    assert page.locator("table.serials tr", has_text=new).locator(".newest").count() == 1
    assert page.locator("table.serials .newest").count() == 1, "only the newest is marked"
    page.screenshot(path=str(artifacts() / f"snapshots-{width}.png"))
    page, errors = open_page(browser, f"{base_url}/debian/{new}/", width)
    stanzas = page.locator("pre").all_inner_texts()
    assert any(f"/debian/{new}/" in s and "Suites: bookworm" in s and "Signed-By:" in s
               for s in stanzas), stanzas  # fmt: skip
    assert errors == [] and fits(page)
    page.screenshot(path=str(artifacts() / f"snapshot-{width}.png"))


LISTING = """() => [...document.querySelectorAll('table.listing tbody tr')].map(r => ({
  name: r.querySelector('td.name a').textContent,
  size: +(r.querySelector('data') || {value: -1}).value,
  date: (r.querySelector('time') || {dateTime: ''}).dateTime,
  hash: (r.querySelector('code.hash') || {textContent: ''}).textContent}))"""
SORTED = """() => [...document.querySelectorAll('table.listing th[aria-sort]')].map(
  th => th.textContent.trim() + ' ' + th.getAttribute('aria-sort'))"""


def files(page) -> list[dict]:
    rows = page.evaluate(LISTING)
    assert rows[0]["name"] == "../", "the ../ row stays on top"
    return rows[1:]


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_a_wide_listing_is_dense(browser, wide_url: str, dark: bool) -> None:
    """One line per row: at least ROWS_PER_SCREEN rows of the 200 fit a 1280 x 1100 screen;
    at 375 px nothing scrolls sideways."""
    scheme = "dark" if dark else "light"
    page, errors = open_page(browser, wide_url, 1280, dark, height=1100)
    assert len(files(page)) == WIDE
    on_screen = rows_on_screen(page)
    page.screenshot(path=str(artifacts() / f"wide-1280-{scheme}.png"))
    assert on_screen >= ROWS_PER_SCREEN, f"{on_screen} rows on a 1100 px screen"
    heights = page.evaluate(
        "[...document.querySelectorAll('table.listing tbody tr')].map(r => r.offsetHeight)"
    )
    line = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('td.name')).lineHeight)"
    )
    assert max(heights) < 1.5 * line, f"a row wraps: {max(heights)} px, line {line} px"
    assert errors == [], errors
    narrow, errors = open_page(browser, wide_url, 375, dark)
    assert fits(narrow), "horizontal scrolling at 375 px"
    narrow.screenshot(path=str(artifacts() / f"wide-375-{scheme}.png"))
    assert errors == [], errors


def test_columns_sort_by_clicking(browser, wide_url: str) -> None:
    page, errors = open_page(browser, wide_url)
    server_order = [row["name"] for row in files(page)]
    assert server_order[:3] == ["app-1.199.0.tar.gz", "app-1.198.0.tar.gz", "app-1.197.0.tar.gz"]
    heading = page.locator("table.listing th button")

    heading.filter(has_text="Size").click()
    sizes = [row["size"] for row in files(page)]
    assert sizes == sorted(sizes, reverse=True) and sizes != sorted(sizes)
    assert page.evaluate(SORTED) == ["Size descending"]
    heading.filter(has_text="Size").click()
    assert [row["size"] for row in files(page)] == sorted(sizes)
    assert page.evaluate(SORTED) == ["Size ascending"]

    heading.filter(has_text="Last modified").click()
    dates = [row["date"] for row in files(page)]
    assert dates == sorted(dates, reverse=True), "newest first"
    assert page.evaluate(SORTED) == ["Last modified (UTC) descending"]

    heading.filter(has_text="Name").click()
    names = [row["name"] for row in files(page)]
    assert names[:3] == ["app-1.0.0.tar.gz", "app-1.1.0.tar.gz", "app-1.2.0.tar.gz"], names
    assert names == server_order[::-1], "version order, 1.9 before 1.10"
    heading.filter(has_text="Name").click()
    assert [row["name"] for row in files(page)] == server_order
    assert page.evaluate(SORTED) == ["Name descending"]
    assert errors == [], errors


def test_without_script_the_server_order_and_whole_hashes(browser, wide_url: str) -> None:
    page, errors = open_page(browser, wide_url, java_script_enabled=False)
    rows = files(page)
    assert [row["name"] for row in rows] == [f"app-1.{i}.0.tar.gz" for i in reversed(range(WIDE))]
    assert page.locator("table.listing th button, button.copy").count() == 0
    assert all(len(row["hash"]) == 64 for row in rows), "the full SHA-256 is in the page"
    hash_cell = page.locator("code.hash").first
    hash_cell.dblclick()
    assert page.evaluate("getSelection().toString()") == rows[0]["hash"]
    assert errors == [], errors


def test_copy_button_puts_the_hash_on_the_clipboard(browser, wide_url: str) -> None:
    page, errors = open_page(browser, wide_url, permissions=["clipboard-read", "clipboard-write"])
    first = files(page)[0]
    button = page.get_by_role("button", name=f"copy SHA-256 of {first['name']}")
    button.click()
    assert page.evaluate("navigator.clipboard.readText()") == first["hash"]
    assert page.evaluate("getSelection().toString()") == first["hash"]
    assert button.inner_text() == "copied"
    assert page.get_by_role("status").inner_text() == "SHA-256 copied"
    assert errors == [], errors
