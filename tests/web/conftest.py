"""The web tests' fixtures: one ``consentgate serve --demo`` subprocess per module and one
Debian chromium per run (Playwright, launched with ``executable_path``: ``playwright
install`` cannot download browsers here). ``page`` runs with JavaScript; ``page_no_js``
without, for the same journeys as plain forms."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from tests.support import WebSite, require_chromium, serve_web_site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebSite]:
    with serve_web_site(tmp_path_factory.mktemp("web")) as served:
        yield served


@pytest.fixture
def api(site: WebSite) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.base_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    require_chromium()
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(executable_path=require_chromium(), headless=True)
    yield launched
    launched.close()


@pytest.fixture(params=[True, False], ids=["js", "no-js"])
def any_page(browser: Browser, site: WebSite, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context on the site, with JavaScript and without."""
    context = browser.new_context(base_url=site.base_url, java_script_enabled=request.param)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def page(browser: Browser, site: WebSite) -> Iterator[Page]:
    context = browser.new_context(base_url=site.base_url)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()
