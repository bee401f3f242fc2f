"""The public catalog and app profiles an app's own consent screen is built from: no
credentials needed, nothing about people, and only an approved app's approved fields."""

from __future__ import annotations

import httpx

from consentgate.catalog import default_catalog
from tests.support import REGISTRATION, LiveApp, LiveServer, assert_envelope


def test_the_catalog_lists_every_field_and_purpose_with_its_dpv_term(http: httpx.Client) -> None:
    answer = http.get("/v1/catalog")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    catalog = default_catalog()
    assert [f["name"] for f in body["fields"]] == list(catalog.fields)
    assert [p["id"] for p in body["purposes"]] == list(catalog.purposes)
    religion = next(f for f in body["fields"] if f["name"] == "religion")
    assert religion["special_category"] == catalog.fields["religion"].special_category
    research = next(p for p in body["purposes"] if p["id"] == "academic_research")
    assert research["label"] == catalog.purposes["academic_research"].label
    assert research["dpv"].startswith("https://w3id.org/dpv")
    assert_envelope(http.get("/v1/catalog", params={"x": "1"}), 400)


def test_a_profile_shows_an_approved_app_and_only_its_approved_fields(
    http: httpx.Client, live_server: LiveServer, live_app: LiveApp
) -> None:
    answer = http.get(f"/v1/apps/{live_app.id}/profile")
    assert answer.status_code == 200, answer.text
    profile = answer.json()
    assert profile["name"] == REGISTRATION["name"]
    assert profile["developer"] == {"name": "Global Science Research", "country": "GB"}
    assert "email" not in profile["developer"]
    approved = http.get(f"/v1/apps/{live_app.id}", headers=live_server.operator_headers).json()
    assert set(profile["fields"]) == set(approved["fields_approved"])
    assert profile["fields"] == {f: approved["fields_requested"][f] for f in profile["fields"]}

    pending = http.post(
        "/v1/apps",
        json=REGISTRATION | {"fields": {"name": "hello"}},
        headers=live_server.operator_headers,
    ).json()
    subset = http.post("/v1/apps", json=REGISTRATION, headers=live_server.operator_headers).json()
    http.post(
        f"/v1/apps/{subset['id']}/approve",
        json={"fields": ["name"]},
        headers=live_server.operator_headers,
    )
    assert set(http.get(f"/v1/apps/{subset['id']}/profile").json()["fields"]) == {"name"}
    http.post(
        f"/v1/apps/{subset['id']}/suspend",
        json={"reason": "test"},
        headers=live_server.operator_headers,
    )
    for app_id in (pending["id"], subset["id"], "app_nope"):
        assert_envelope(http.get(f"/v1/apps/{app_id}/profile"), 404, "NOT_FOUND")
