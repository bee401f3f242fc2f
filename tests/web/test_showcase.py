"""``serve --demo`` lands a newcomer on pages with content: a pending app first in the
console, an approved one in person 1's privacy centre with what it received, and an app
that harvest detection suspended, with its incident."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support import WebSite, serve_web_site

SHOTS = os.environ.get("CONSENTGATE_WEB_SCREENSHOTS")  # a folder: docs/web/ for docs/web.md


def shot(page: Page, name: str) -> None:
    """A screenshot of the page for docs/web.md, when CONSENTGATE_WEB_SCREENSHOTS names a
    folder."""
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def apps_of(site: WebSite) -> list[dict[str, object]]:
    answer = httpx.get(f"{site.base_url}/v1/apps", headers=site.operator_headers)
    data: list[dict[str, object]] = answer.json()["data"]
    return data


@pytest.fixture(scope="module")
def showcase(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebSite]:
    with serve_web_site(tmp_path_factory.mktemp("showcase"), showcase=True, subjects=1500) as s:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if {a["status"] for a in apps_of(s)} >= {"pending", "approved", "suspended"}:
                break
            time.sleep(0.5)
        else:
            raise AssertionError("the showcase apps were not seeded within 120 s")
        yield s


def test_the_demo_shows_apps_to_review_and_a_contained_harvest(
    browser: Browser, showcase: WebSite
) -> None:
    context = browser.new_context(base_url=showcase.base_url)
    page = context.new_page()
    page.goto("/")
    shot(page, "home")
    page.get_by_role("link", name="DPO console").click()
    shot(page, "console-login")
    page.get_by_label("Operator key").fill(showcase.admin_key)
    page.get_by_role("button", name="Sign in").click()
    rows = page.get_by_role("row")
    expect(rows.nth(1)).to_contain_text("Personality Quiz")
    expect(rows.nth(1)).to_contain_text("pending")
    expect(page.get_by_role("row").filter(has_text="Mirror")).to_contain_text("suspended")
    shot(page, "console-apps")
    page.get_by_role("link", name="Personality Quiz").click()
    expect(page.get_by_role("button", name="Approve")).to_be_visible()
    shot(page, "console-app-review")
    page.get_by_role("link", name="Incidents").click()
    expect(page.get_by_role("heading", name="Mirror", exact=False).first).to_be_visible()
    shot(page, "console-incidents")
    page.get_by_role("link", name="Breaches").click()
    expect(page.get_by_text("Report due").first).to_be_visible()
    shot(page, "console-breaches")
    page.get_by_role("link", name="Ledger").click()
    expect(page.get_by_role("img", name="Disclosures per day")).to_be_visible()
    shot(page, "console-ledger")
    page.get_by_role("link", name="Records of processing").click()
    shot(page, "console-records")
    page.get_by_role("link", name="Requests").click()
    shot(page, "console-requests")
    page.get_by_role("button", name="Sign out").click()

    guide = next(a for a in apps_of(showcase) if a["name"] == "City Guide")
    person = next(
        str(n)
        for n in range(1, 200)
        if any(
            c["app_id"] == guide["id"]
            for c in httpx.get(
                f"{showcase.base_url}/v1/me/consents", headers=showcase.subject_headers(str(n))
            ).json()["data"]
        )
    )
    page.goto("/privacy/login")
    shot(page, "privacy-login")
    page.get_by_label("Demo person id").fill(person)
    page.get_by_role("button", name="Sign in as demo person").click()
    item = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name="City Guide"))
    expect(item).to_contain_text("Received: 1 disclosure")
    shot(page, "privacy-apps")
    page.get_by_role("link", name="What was shared").click()
    expect(page.locator("td.proof").first).to_have_attribute("data-checked", "browser")
    shot(page, "privacy-disclosures")
    page.get_by_role("link", name="Your rights").click()
    shot(page, "privacy-rights")
    quiz = next(a for a in apps_of(showcase) if a["name"] == "City Guide")
    query = urlencode(
        {"app_id": quiz["id"], "purpose": "service_provision", "fields": "name,current_city"}
    )
    page.goto(f"/privacy/consent?{query}")
    expect(page.get_by_role("button", name="Allow")).to_be_visible()
    shot(page, "privacy-consent")
    context.close()
