"""A real headless Chromium looks at the generated pages served by the running server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from snapfront.sample import SampleHost

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]  # fmt: skip


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    assert os.path.exists(CHROMIUM), "chromium not found: apt-get install chromium"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the message is the point
        pytest.fail("playwright not installed: pip install playwright (uses Debian's chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_page(browser, url: str, width: int = 1280, dark: bool = False):
    context = browser.new_context(
        viewport={"width": width, "height": 900}, color_scheme="dark" if dark else "light"
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("requestfailed", lambda req: errors.append(f"request failed: {req.url}"))
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    return page, errors


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


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
def test_releases_page(browser, base_url: str, tmp_path: Path, width: int, dark: bool) -> None:
    page, errors = open_page(browser, f"{base_url}/mediawiki/1.41/", width, dark)
    names = page.locator("table.listing td.name a:not(.sig)").all_inner_texts()
    assert names[:2] == ["mediawiki-1.41.1.tar.gz", "mediawiki-1.41.0.tar.gz"], names
    assert not any(n.endswith((".sig", ".asc")) for n in names), names
    row = page.locator("tr", has_text="mediawiki-1.41.1.tar.gz")
    assert row.locator("a", has_text="sig").count() == 1
    assert row.locator("a", has_text="asc").count() == 1
    assert errors == [], errors
    assert fits(page), "horizontal scrolling at this width"
    page.screenshot(path=str(tmp_path / f"releases-{width}-{'dark' if dark else 'light'}.png"))


def test_version_order_across_branches(browser, base_url: str) -> None:
    page, errors = open_page(browser, f"{base_url}/mediawiki/")
    names = page.locator("table.listing td.name a:not(.sig)").all_inner_texts()
    assert names[:3] == ["1.41/", "1.10/", "1.9/"], names
    assert errors == []


def test_dark_mode_changes_the_background(browser, base_url: str) -> None:
    light, _ = open_page(browser, f"{base_url}/debian/", dark=False)
    dark, _ = open_page(browser, f"{base_url}/debian/", dark=True)
    assert background(light) != background(dark)


@pytest.mark.parametrize("width", [1280, 375])
def test_snapshot_pages(browser, sample_host: SampleHost, base_url: str, tmp_path: Path,
                        width: int) -> None:  # fmt: skip
    old, new = sample_host.serials
    page, errors = open_page(browser, f"{base_url}/debian/", width)
    text = page.inner_text("body")
    assert text.index(new) < text.index(old), "serials newest first"
    assert "valid" in text and "bookworm" in text and "jessie/updates" in text
    assert errors == [] and fits(page)
    page.screenshot(path=str(tmp_path / f"snapshots-{width}.png"))
    page, errors = open_page(browser, f"{base_url}/debian/{new}/", width)
    stanzas = page.locator("pre").all_inner_texts()
    assert any(f"/debian/{new}/" in s and "Suites: bookworm" in s and "Signed-By:" in s
               for s in stanzas), stanzas  # fmt: skip
    assert errors == [] and fits(page)
    page.screenshot(path=str(tmp_path / f"snapshot-{width}.png"))
