"""The privacy centre in Debian's chromium, found by role and accessible name (the names
are the contract, DESIGN.md "Web."): sign in with the platform's token, see an app with
what it received, withdraw one consent and see the app's next read refused, withdraw all,
sign out — with JavaScript and without."""

from __future__ import annotations

import re
import uuid

import httpx
from playwright.sync_api import Page, expect

from consentgate.catalog import default_catalog
from tests.support import REGISTRATION, WebSite, make_live_app, read, scoped_ids, web_grant

LABELS = {name: spec.label for name, spec in default_catalog().purposes.items()}


def _sign_in(page: Page, site: WebSite, subject: str) -> None:
    page.goto("/privacy/login")
    page.get_by_label("Platform token").fill(site.subject_token(subject))
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="Apps with access to your data")).to_be_visible()


def test_a_person_sees_an_app_withdraws_one_consent_then_all_and_signs_out(
    any_page: Page, site: WebSite, api: httpx.Client
) -> None:
    page = any_page
    name = f"Quiz {uuid.uuid4().hex[:6]}"
    app = make_live_app(api, site, registration=REGISTRATION | {"name": name})
    subject, research = web_grant(api, site, app, ["name", "current_city"])
    analytics = api.post(
        "/v1/me/consents",
        headers=site.subject_headers(subject),
        json={"app_id": app.id, "purpose": "analytics", "fields": ["birthday"]},
    )
    assert analytics.status_code == 201, analytics.text
    (scoped,) = scoped_ids(api, app)
    assert read(api, app, scoped, "name").status_code == 200

    _sign_in(page, site, subject)
    item = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name=name))
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Received: 1 disclosure")
    expect(item).to_contain_text("greet the user")  # the justification from review
    expect(item).to_contain_text(LABELS["academic_research"])
    expect(item).to_contain_text(LABELS["analytics"])
    expect(item.get_by_role("button", name="Withdraw", exact=True)).to_have_count(2)

    consent = item.get_by_role("region", name=f"Consent for {LABELS['academic_research']}")
    consent.get_by_role("button", name="Withdraw", exact=True).click()
    expect(item.get_by_role("button", name="Withdraw", exact=True)).to_have_count(1)
    refused = read(api, app, scoped, "name")
    assert refused.status_code == 403, refused.text
    assert research["id"] not in page.content()

    page.get_by_role("button", name="Withdraw all").click()
    expect(page.get_by_text("No app has a live consent from you.")).to_be_visible()
    mine = api.get("/v1/me/consents", headers=site.subject_headers(subject)).json()["data"]
    assert [c["withdrawn_at"] is not None for c in mine if c["app_id"] == app.id] == [True, True]

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("Platform token")).to_be_visible()
    page.goto("/privacy")
    expect(page).to_have_url(re.compile(r"/privacy/login$"))


def test_a_wrong_token_is_an_alert_and_the_demo_picker_signs_in(
    any_page: Page, site: WebSite
) -> None:
    page = any_page
    page.goto("/privacy/login")
    page.get_by_label("Platform token").fill("not-a-token")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_be_visible()
    page.get_by_label("Demo person id").fill("7")
    page.get_by_role("button", name="Sign in as demo person").click()
    expect(page.get_by_role("heading", name="Apps with access to your data")).to_be_visible()


def test_a_person_sees_only_their_own_apps(page: Page, site: WebSite, api: httpx.Client) -> None:
    name = f"Mine {uuid.uuid4().hex[:6]}"
    app = make_live_app(api, site, registration=REGISTRATION | {"name": name})
    owner, _ = web_grant(api, site, app, ["name"], start=40)
    other = str(int(owner) + 1)
    _sign_in(page, site, other)
    expect(page.get_by_role("heading", name=name)).to_have_count(0)
