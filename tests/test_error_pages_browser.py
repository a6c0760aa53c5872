"""Chromium looks at what a person meets besides listings: an error page and an Atom feed."""

from __future__ import annotations

import pytest

from snapfront.sample import SampleHost
from tests.support import fetch_once_settled
from tests.test_pages_browser import background, browser, fits  # noqa: F401

pytestmark = pytest.mark.system


def visit(browser, url: str, width: int = 1280, dark: bool = False):  # noqa: F811
    """The page at `url`, its status, and the console errors and failed requests seen."""
    context = browser.new_context(
        viewport={"width": width, "height": 900}, color_scheme="dark" if dark else "light"
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("requestfailed", lambda req: errors.append(f"request failed: {req.url}"))
    page.on("dialog", lambda box: (errors.append(f"dialog: {box.message}"), box.dismiss()))
    response = page.goto(url)
    assert response is not None
    page.wait_for_timeout(200)
    return page, response.status, errors


@pytest.mark.parametrize(("width", "dark"), [(1280, False), (375, True)])
def test_a_404_page_renders_cleanly(
    browser,  # noqa: F811
    base_url: str,
    sample_host: SampleHost,
    width: int,
    dark: bool,
) -> None:
    old, new = sample_host.serials
    page, status, errors = visit(
        browser, f"{base_url}/debian/2099123199/dists/bookworm/", width, dark
    )
    assert status == 404
    # Chromium reports the 404 of the document itself; nothing else may fail.
    assert [e for e in errors if "status of 404" not in e] == [], errors
    assert page.locator("h1").all_inner_texts() == ["404 Not Found"]
    assert page.get_by_role("link", name=new).is_visible()
    assert page.get_by_role("navigation", name="Breadcrumbs").get_by_role("link").count() == 2
    assert fits(page), "horizontal scrolling at this width"
    assert (background(page) == "rgb(20, 22, 26)") is dark
    page.get_by_role("link", name=old).click()
    page.wait_for_load_state()
    assert page.url == f"{base_url}/debian/{old}/"  # a page URL: the serial pages
    page.context.close()


def test_an_attack_in_the_path_runs_nothing(browser, base_url: str) -> None:  # noqa: F811
    attack = "/x/%3Cimg%20src=x%20onerror=alert(1)%3E%3Cscript%3Ealert(2)%3C/script%3E"
    page, status, errors = visit(browser, base_url + attack)
    assert status == 404 and page.locator("img, script").count() == 0
    assert [e for e in errors if "status of 404" not in e] == [], errors
    assert "<img src=x onerror=alert(1)>" in page.locator("code").inner_text()
    page.context.close()


def test_the_feed_reads_as_a_page(browser, base_url: str) -> None:  # noqa: F811
    """Through /-/static/feed.xsl. Chromium 156 still applies XSLT, with a console warning
    and a banner that it will stop: then this fails, and the feed needs another view."""
    fetch_once_settled(f"{base_url}/mediawiki/feed.atom", b"mediawiki-1.41.1.tar.gz")
    page, status, errors = visit(browser, f"{base_url}/mediawiki/feed.atom")
    assert status == 200
    assert errors == [], errors
    assert page.locator("h1").all_inner_texts() == ["mediawiki releases"]
    entries = page.locator("li.entry a")
    titles = entries.all_inner_texts()
    assert titles[:2] == ["mediawiki-1.41.1.tar.gz", "mediawiki-1.41.0.tar.gz"], titles
    assert entries.first.is_visible()
    href = entries.first.get_attribute("href") or ""
    assert href.endswith("/mediawiki/1.41/mediawiki-1.41.1.tar.gz"), href
    assert "feed reader" in page.locator("p.about").inner_text()
    page.context.close()
