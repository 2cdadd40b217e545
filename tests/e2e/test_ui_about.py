"""The About box shows the version and the licences of the third-party code (issue 8)."""

from __future__ import annotations

from importlib.metadata import version

from naesview_app import __version__
from tests.e2e.conftest import BrowserApp
from tests.e2e.helpers import new_page


def test_about_box_lists_version_and_licences(browser, browser_app: BrowserApp) -> None:
    errors: list[str] = []
    with new_page(browser, errors, bypass_csp=False, console_errors=False) as page:
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


def test_a_page_opened_without_the_token_says_how_to_open_the_app(
    browser, browser_app: BrowserApp
) -> None:
    """The served page without `?token=` (a bookmark, a copied address): at once a one-line
    explanation, no bridge call answered, nothing else on screen."""
    errors: list[str] = []
    with new_page(browser, errors, bypass_csp=False, console_errors=False) as page:
        page.goto(browser_app.base_url + "/")
        alert = page.wait_for_selector("[role=alert]", timeout=5000)
        assert "open the address it printed" in alert.inner_text()
        assert page.locator("form.signin").count() == 0
        assert errors == []
