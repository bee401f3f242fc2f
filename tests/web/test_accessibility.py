"""axe-core (bundled by axe-playwright-python) on every page, signed in where the page
needs it: no serious or critical violation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import httpx
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.support import WebSite, make_live_app, web_grant

AXE = Axe()


def _problems(page: Page) -> list[str]:
    results = AXE.run(page)
    return [
        f"{page.url}: {v['id']} ({v['impact']}): {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_no_page_has_a_serious_or_critical_violation(
    page: Page, site: WebSite, api: httpx.Client
) -> None:
    app = make_live_app(api, site)
    subject, _ = web_grant(api, site, app, ["name", "religion"], start=90, explicit=True)
    problems: list[str] = []
    for path in ("/", "/privacy/login", "/console/login", "/privacy/no-such-page"):
        page.goto(path)
        problems += _problems(page)

    page.goto("/privacy/login")
    page.get_by_label("Demo person id").fill(subject)
    page.get_by_role("button", name="Sign in as demo person").click()
    expect(page.get_by_role("heading", name="Apps with access to your data")).to_be_visible()
    problems += _problems(page)
    query = urlencode({"app_id": app.id, "purpose": "academic_research", "fields": "name,religion"})
    for path in ("/privacy/disclosures", "/privacy/requests", f"/privacy/consent?{query}"):
        page.goto(path)
        problems += _problems(page)
    filed = api.post(
        "/v1/me/requests",
        headers=site.subject_headers(subject),
        json={"type": "objection", "purposes": ["analytics"]},
    )
    assert filed.status_code == 201, filed.text
    start = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    opened = api.post(
        "/v1/breaches",
        headers=site.operator_headers,
        json={"app_id": app.id, "window_start": start, "description": "a test breach"},
    )
    assert opened.status_code == 201, opened.text

    page.get_by_role("button", name="Sign out").click()
    page.goto("/console/login")
    page.get_by_label("Operator key").fill(site.admin_key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Apps", exact=True)).to_be_visible()
    console = [
        "/console/apps",
        f"/console/apps/{app.id}",
        "/console/requests",
        f"/console/requests/{filed.json()['id']}",
        "/console/incidents",
        "/console/breaches",
        "/console/ledger",
        "/console/records",
    ]
    for path in console:
        page.goto(path)
        problems += _problems(page)
    assert problems == []
