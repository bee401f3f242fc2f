"""The DPO console in Debian's chromium, by role and accessible name (DESIGN.md "Web."):
a wrong key is an alert, pending apps come first, a subset of fields is approved, the app
is suspended and reinstated with a reason — with JavaScript and without."""

from __future__ import annotations

import uuid

import httpx
from playwright.sync_api import Page, expect

from tests.support import REGISTRATION, WebSite, make_live_app

NAV = ["Apps", "Requests", "Incidents", "Breaches", "Ledger", "Records of processing"]


def sign_in(page: Page, site: WebSite) -> None:
    page.goto("/console/login")
    page.get_by_label("Operator key").fill(site.admin_key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Apps", exact=True)).to_be_visible()


def test_an_operator_approves_a_subset_suspends_and_reinstates(
    any_page: Page, site: WebSite, api: httpx.Client
) -> None:
    page = any_page
    make_live_app(api, site, registration=REGISTRATION | {"name": f"Live {uuid.uuid4().hex[:6]}"})
    name = f"Pending {uuid.uuid4().hex[:6]}"
    created = api.post(
        "/v1/apps", json=REGISTRATION | {"name": name}, headers=site.operator_headers
    )
    assert created.status_code == 201, created.text
    app_id = created.json()["id"]

    page.goto("/console/login")
    page.get_by_label("Operator key").fill("cgop_not_a_key_at_all_0000000000")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    sign_in(page, site)
    nav = page.get_by_role("navigation", name="Console")
    for label in NAV:
        expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()

    rows = page.get_by_role("row")
    expect(rows.nth(1)).to_contain_text("pending")  # pending apps first
    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    page.get_by_role("checkbox", name="name: greet the user").check()
    page.get_by_role("checkbox", name="birthday: age band of the result").check()
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("approved", exact=True)).to_be_visible()
    shown = api.get(f"/v1/apps/{app_id}", headers=site.operator_headers).json()
    assert shown["status"] == "approved"
    assert sorted(shown["fields_approved"]) == ["birthday", "name"]

    page.get_by_label("Reason").fill("evidence of scraping")
    page.get_by_role("button", name="Suspend").click()
    expect(page.get_by_text("suspended — evidence of scraping")).to_be_visible()
    page.get_by_label("Reason").fill("the developer fixed it")
    page.get_by_role("button", name="Reinstate").click()
    expect(page.get_by_role("button", name="Suspend")).to_be_visible()
    assert api.get(f"/v1/apps/{app_id}", headers=site.operator_headers).json()["status"] == (
        "approved"
    )

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("Operator key")).to_be_visible()


def test_an_operator_rejects_a_pending_app(page: Page, site: WebSite, api: httpx.Client) -> None:
    name = f"Reject {uuid.uuid4().hex[:6]}"
    created = api.post(
        "/v1/apps", json=REGISTRATION | {"name": name}, headers=site.operator_headers
    )
    sign_in(page, site)
    page.get_by_role("link", name=name).click()
    page.get_by_role("button", name="Reject").click()
    expect(page.get_by_text("rejected", exact=False).first).to_be_visible()
    shown = api.get(f"/v1/apps/{created.json()['id']}", headers=site.operator_headers).json()
    assert shown["status"] == "rejected"
