"""The console's queue and registers in Debian's chromium: extend a request from the
requests queue, read a breach's 72-hour clock and download its report, see "Disclosures
per day" and verify the ledger, download the records of processing — with JavaScript and
without where the journey is one of the contract's."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.support import REGISTRATION, WebSite, make_live_app, read, scoped_ids, web_grant


def _sign_in(page: Page, site: WebSite) -> None:
    page.goto("/console/login")
    page.get_by_label("Operator key").fill(site.admin_key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Apps", exact=True)).to_be_visible()


def test_an_operator_extends_a_request(any_page: Page, site: WebSite, api: httpx.Client) -> None:
    page = any_page
    for number in range(140, 200):  # the first person not restricted yet
        filed = api.post(
            "/v1/me/requests",
            headers=site.subject_headers(str(number)),
            json={"type": "restriction", "ground": "accuracy_contested"},
        )
        if filed.status_code == 201:
            break
    assert filed.status_code == 201, filed.text
    request_id = filed.json()["id"]

    _sign_in(page, site)
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Requests").click()
    expect(page.get_by_role("heading", name="Requests")).to_be_visible()
    for column in ("Type", "Status", "Due"):
        expect(page.get_by_role("columnheader", name=column, exact=True)).to_be_visible()
    page.get_by_role("link", name=request_id).click()
    expect(page.get_by_role("heading", name=f"Request {request_id}")).to_be_visible()
    page.get_by_label("Reason for the extension").fill("the records are on paper")
    page.get_by_role("button", name="Extend").click()
    expect(page.get_by_text("(extended from", exact=False)).to_be_visible()
    shown = api.get(f"/v1/requests/{request_id}", headers=site.operator_headers).json()
    assert shown["extension_reason"] == "the records are on paper"


def test_an_operator_reads_a_breach_clock_and_downloads_its_report(
    any_page: Page, site: WebSite, api: httpx.Client
) -> None:
    page = any_page
    name = f"Leaky {uuid.uuid4().hex[:6]}"
    app = make_live_app(api, site, registration=REGISTRATION | {"name": name})
    web_grant(api, site, app, ["name"], start=150)
    (scoped,) = scoped_ids(api, app)
    assert read(api, app, scoped, "name").status_code == 200
    start = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    opened = api.post(
        "/v1/breaches",
        headers=site.operator_headers,
        json={"app_id": app.id, "window_start": start, "description": "a copied database"},
    )
    assert opened.status_code == 201, opened.text
    breach_id = opened.json()["id"]

    _sign_in(page, site)
    page.get_by_role("link", name="Breaches").click()
    item = page.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name=f"{name} — {breach_id}")
    )
    expect(item).to_contain_text("Report due")
    expect(item).to_contain_text("hours left")
    with page.expect_download() as got:
        item.get_by_role("link", name="Download report").click()
    report = Path(got.value.path()).read_text(encoding="utf-8")
    assert breach_id in report
    assert name in report


def test_the_ledger_page_charts_disclosures_and_verifies(
    page: Page, site: WebSite, api: httpx.Client
) -> None:
    name = f"Charted {uuid.uuid4().hex[:6]}"
    app = make_live_app(api, site, registration=REGISTRATION | {"name": name})
    web_grant(api, site, app, ["name"], start=160)
    (scoped,) = scoped_ids(api, app)
    for _ in range(3):
        assert read(api, app, scoped, "name").status_code == 200
    _sign_in(page, site)
    page.get_by_role("link", name="Ledger").click()
    expect(page.get_by_text("Latest checkpoint size")).to_be_visible()
    expect(page.get_by_role("img", name="Disclosures per day")).to_be_visible()
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=name))
    expect(row.get_by_role("cell").first).to_have_text("3")
    expect(page.get_by_role("img", name="Consents granted and withdrawn per day")).to_be_visible()
    granted = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Granted"))
    assert int(granted.get_by_role("cell").first.inner_text()) >= 1
    page.get_by_role("button", name="Verify now").click()
    expect(page.get_by_role("status")).to_contain_text("Verified")

    page.get_by_role("link", name="Records of processing").click()
    expect(page.get_by_role("heading", name="Records of processing")).to_be_visible()
    with page.expect_download() as got:
        page.get_by_role("link", name="Download records of processing (CSV)").click()
    assert app.id in Path(got.value.path()).read_text(encoding="utf-8")
    page.get_by_role("link", name="Incidents").click()
    expect(page.get_by_role("heading", name="Incidents")).to_be_visible()
