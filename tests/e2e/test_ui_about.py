"""The About box shows the version and the licences of the third-party code (issue 8)."""

from __future__ import annotations

from importlib.metadata import version

from playwright.sync_api import sync_playwright

from naesview_app import __version__
from tests.e2e.conftest import BrowserApp


def test_about_box_lists_version_and_licences(browser_app: BrowserApp) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(browser_app.url)
            page.click("[data-testid=about-open]")  # on the sign-in screen
            page.wait_for_selector("[data-testid=about]")
            summary = page.inner_text("[data-testid=about-version]")
            assert summary.startswith(f"Version {__version__} · Python ")
            rows = {
                row.locator("th").inner_text(): row.locator("td").inner_text()
                for row in page.locator("[data-testid=about-licences] tr").all()
            }
            assert rows["numpy"].startswith(f"{version('numpy')} · ")
            assert "BSD" in rows["numpy"]
            assert "pywebview" in {name.lower() for name in rows}
            page.keyboard.press("Escape")
            page.wait_for_selector("[data-testid=about]", state="detached")
            assert errors == []
        finally:
            browser.close()
