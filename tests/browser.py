"""Shared by the Chromium tests: Debian's chromium driven by Playwright, page helpers, the
artifacts directory for screenshots, axe-core, and a release directory of 200 tarballs."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]  # fmt: skip
CHECKOUT = Path(__file__).resolve().parent.parent
AXE = CHECKOUT / ".node" / "node_modules" / "axe-core" / "axe.min.js"
"""Where `scripts/setup --test` installs axe-core (npm, pinned major version)."""
WIDE = 200
"""Tarballs in the wide directory: the listing whose density and weight the issue measures."""


@contextlib.contextmanager
def launch() -> Iterator[object]:
    """Debian's chromium, headless; fails naming what is missing."""
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


def open_page(
    browser, url: str, width: int = 1280, dark: bool = False, height: int = 900, **options
):
    """A fresh context per page (its own colour scheme, `options` for Playwright's
    new_context); console errors, page errors and failed requests go to the returned list."""
    context = browser.new_context(
        viewport={"width": width, "height": height},
        color_scheme="dark" if dark else "light",
        **options,
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


def artifacts() -> Path:
    """Screenshots kept after the run: $SNAPFRONT_ARTIFACTS, else test-artifacts/ (gitignored)."""
    folder = Path(os.environ.get("SNAPFRONT_ARTIFACTS") or CHECKOUT / "test-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def axe_source() -> str:
    assert AXE.is_file(), (
        f"axe-core not found at {AXE}: run scripts/setup --test "
        "(npm install --prefix .node axe-core@4)"
    )
    return AXE.read_text(encoding="utf-8")


def rows_on_screen(page) -> int:
    """Listing rows whose whole box lies inside the viewport, scrolled to the top."""
    return page.evaluate(
        """() => { window.scrollTo(0, 0);
        return [...document.querySelectorAll('table.listing tbody tr')].filter(r => {
          const b = r.getBoundingClientRect();
          return b.top >= 0 && b.bottom <= window.innerHeight && b.height > 0; }).length; }"""
    )


def build_wide_host(directory: Path) -> Path:
    """A files mount at / whose `wide/` holds WIDE tarballs of varied size and date (so name,
    size and date orders all differ); built with `snapfront build`. Returns the config."""
    wide = directory / "releases" / "wide"
    wide.mkdir(parents=True)
    for i in range(WIDE):
        tarball = wide / f"app-1.{i}.0.tar.gz"
        tarball.write_bytes(bytes((i * 31 + n) % 251 for n in range(700 + (i * 7919) % 9000)))
        when = 1_700_000_000 + ((i * 37) % WIDE) * 86400
        os.utime(tarball, (when, when))
    config = directory / "snapfront.toml"
    config.write_text(
        '[server]\nlisten = "127.0.0.1:0"\noutput = "output"\n\n'
        '[[mount]]\nurl = "/"\nkind = "files"\nroot = "releases"\n'
    )
    subprocess.run(
        [sys.executable, "-m", "snapfront.cli", "build", "--config", str(config)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return config
