"""Each kind of generated page in a real Chromium, light and dark, at 1280 and 375 px: axe-core
finds no serious or critical violation, the page has one <h1>, asks for nothing but itself and
its fingerprinted stylesheet (and a listing's script) from /-/static/, cached for good, so a
second load fetches nothing but the page (no favicon either), never scrolls sideways, and
leaves a screenshot in the artifacts directory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from snapfront.rewrite_rules import DEFAULT_CACHE_CONTROL, CacheClass
from snapfront.sample import SampleHost
from tests import browser as browser_support
from tests.browser import artifacts, axe_source, fits, launch, open_page
from tests.support import fetch

pytestmark = pytest.mark.system


KINDS = {
    "files-readme": "/",
    "files-signed": "/mediawiki/1.41/",
    "snapshots": "/debian/",
    "serial": "/debian/{new}/",
    "dists-codename": "/debian/{new}/dists/bookworm/",
    "changes": "/debian/{new}/changes/",
    "pool": "/debian/pool/main/h/hello/",
    "repository": "/apt/",
    "repository-suite": "/apt/dists/bookworm-mediawiki/",
    "tagged": "/tagged/5.0/debian/",
}
BLOCKING = ("serious", "critical")
LOADED = "performance.getEntriesByType('resource').map(e => [e.name, e.transferSize])"
"""What the page loaded besides itself, and the bytes each took from the network (0: cache)."""


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with launch() as browser:
        yield browser


@pytest.fixture(scope="module")
def axe() -> str:
    return axe_source()  # fails naming axe-core and scripts/setup --test when missing


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_page_kind_is_accessible(
    browser, axe: str, sample_host: SampleHost, base_url: str, kind: str, dark: bool, width: int
) -> None:
    url = base_url + KINDS[kind].format(new=sample_host.serials[1])
    page, errors = open_page(browser, url, width, dark)
    linked = page.eval_on_selector_all(
        "link[rel=stylesheet], script[src]", "els => els.map(e => e.href || e.src)"
    )
    assert linked and all(u.startswith(base_url + "/-/static/") for u in linked), linked
    first = dict(page.evaluate(LOADED))
    assert sorted(first) == sorted(linked) and all(first.values()), first
    for asset in linked:
        cache = fetch(asset).header("Cache-Control")
        assert cache == DEFAULT_CACHE_CONTROL[CacheClass.IMMUTABLE], asset
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.reload()
    page.wait_for_load_state("load")
    again = dict(page.evaluate(LOADED))
    assert sorted(again) == sorted(linked) and not any(again.values()), f"refetched: {again}"
    assert set(asked) <= {url, *linked}, f"nothing else asked for (no favicon): {asked}"
    assert page.locator("h1").count() == 1, "exactly one <h1> per page"
    assert fits(page), f"{kind} scrolls sideways at {width} px"
    scheme = "dark" if dark else "light"
    page.screenshot(path=str(artifacts() / f"{kind}-{width}-{scheme}.png"), full_page=True)
    page.add_script_tag(content=axe)
    result = page.evaluate("axe.run()")
    blocking = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]
    assert not blocking, "\n".join(blocking)
    assert result["passes"], "axe ran no rule"
    assert errors == [], errors


def test_missing_axe_core_fails_naming_it(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setattr(browser_support, "AXE", tmp_path / "axe.min.js")
    with pytest.raises(AssertionError, match=r"axe-core not found .*scripts/setup --test"):
        browser_support.axe_source()
