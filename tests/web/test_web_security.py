"""Attacks on the web pages, over plain HTTP: CSRF (forms and sign-in), session fixation,
a signed-out cookie replayed, a person's cookie on the console, operator pages without a
session, one person acting on another's consent, script in app names and justifications,
framing, and errors rendered as pages with the API's status and code."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from consentgate.web.sessions import COOKIE
from tests.support import REGISTRATION, WebSite, make_live_app, web_grant


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, "the page has no CSRF field"
    return found.group(1)


def _client(site: WebSite) -> httpx.Client:
    return httpx.Client(base_url=site.base_url, timeout=30, follow_redirects=False)


def _demo_sign_in(client: httpx.Client, subject: str) -> str:
    """Sign ``client`` in as ``subject``; the CSRF token of the new session."""
    page = client.get("/privacy/login")
    signed = client.post("/privacy/login/demo", data={"csrf": _csrf(page.text), "subject": subject})
    assert signed.status_code == 303, signed.text
    assert signed.headers["location"] == "/privacy"
    return _csrf(client.get("/privacy").text)


def _live(api: httpx.Client, site: WebSite, subject: str, app_id: str) -> list[str]:
    mine = api.get("/v1/me/consents", headers=site.subject_headers(subject)).json()["data"]
    return [c["id"] for c in mine if c["app_id"] == app_id and c["withdrawn_at"] is None]


def test_a_form_without_its_csrf_token_changes_nothing(site: WebSite, api: httpx.Client) -> None:
    app = make_live_app(api, site)
    subject, consent = web_grant(api, site, app, ["name"], start=60)
    with _client(site) as client:
        token = _demo_sign_in(client, subject)
        for data in ({}, {"csrf": "wrong"}, {"csrf": token[:-1]}):
            refused = client.post("/privacy/withdraw-all", data=data)
            assert refused.status_code == 403
            assert "text/html" in refused.headers["content-type"]
            assert 'role="alert"' in refused.text
        assert _live(api, site, subject, app.id) == [consent["id"]]
        done = client.post("/privacy/withdraw-all", data={"csrf": token})
        assert done.status_code == 303
    assert _live(api, site, subject, app.id) == []


def test_sign_in_forms_need_the_visitors_own_csrf_token(site: WebSite) -> None:
    with _client(site) as attacker, _client(site) as victim:
        planted = _csrf(attacker.get("/privacy/login").text)
        victim.get("/privacy/login")
        forged = victim.post("/privacy/login/demo", data={"csrf": planted, "subject": "3"})
        assert forged.status_code == 403
        assert COOKIE not in forged.cookies or forged.cookies[COOKIE] == victim.cookies[COOKIE]
        bare = httpx.post(f"{site.base_url}/console/login", data={"key": site.admin_key})
        assert bare.status_code == 403


def test_a_session_cookie_from_before_sign_in_is_never_signed_in(site: WebSite) -> None:
    with _client(site) as client:
        client.get("/privacy/login")
        before = client.cookies[COOKIE]
        _demo_sign_in(client, "5")
        after = client.cookies[COOKIE]
        assert after != before
    with _client(site) as planted:
        planted.cookies.set(COOKIE, before)
        answer = planted.get("/privacy")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/privacy/login"


def test_a_signed_out_cookie_is_refused_when_replayed(site: WebSite) -> None:
    with _client(site) as client:
        token = _demo_sign_in(client, "6")
        cookie = client.cookies[COOKIE]
        assert client.post("/privacy/logout", data={"csrf": token}).status_code == 303
    with _client(site) as replay:
        replay.cookies.set(COOKIE, cookie)
        assert replay.get("/privacy").status_code == 303


def test_the_console_refuses_people_and_visitors(site: WebSite, api: httpx.Client) -> None:
    created = api.post("/v1/apps", json=REGISTRATION, headers=site.operator_headers).json()
    with _client(site) as person:
        token = _demo_sign_in(person, "8")
        page = person.get("/console/apps")
        assert page.status_code == 403
        assert "FORBIDDEN" in page.text
        acted = person.post(f"/console/apps/{created['id']}/approve", data={"csrf": token})
        assert acted.status_code == 403
    with _client(site) as nobody:
        for path in ("/console", "/console/apps", f"/console/apps/{created['id']}"):
            answer = nobody.get(path)
            assert answer.status_code == 303, path
            assert answer.headers["location"] == "/console/login"
        assert nobody.post(f"/console/apps/{created['id']}/approve").status_code == 303
        nobody.cookies.set(COOKIE, "forged" + "A" * 80)
        assert nobody.get("/console/apps").status_code == 303
    shown = api.get(f"/v1/apps/{created['id']}", headers=site.operator_headers).json()
    assert shown["status"] == "pending"


def test_a_person_cannot_withdraw_anothers_consent(site: WebSite, api: httpx.Client) -> None:
    app = make_live_app(api, site)
    owner, consent = web_grant(api, site, app, ["name"], start=70)
    with _client(site) as other:
        token = _demo_sign_in(other, str(int(owner) + 1))
        answer = other.post(f"/privacy/consents/{consent['id']}/withdraw", data={"csrf": token})
        assert answer.status_code == 404
        assert "text/html" in answer.headers["content-type"]
    assert _live(api, site, owner, app.id) == [consent["id"]]


@pytest.mark.parametrize("payload", ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>'])
def test_app_names_and_justifications_are_escaped(
    site: WebSite, api: httpx.Client, payload: str
) -> None:
    registration = REGISTRATION | {
        "name": f"{payload} {uuid.uuid4().hex[:4]}",
        "fields": {"name": payload},
        "developer": REGISTRATION["developer"] | {"name": payload},
    }
    app = make_live_app(api, site, registration=registration)
    subject, _ = web_grant(api, site, app, ["name"], start=80)
    with _client(site) as person:
        _demo_sign_in(person, subject)
        html = person.get("/privacy").text
    with _client(site) as operator:
        page = operator.get("/console/login")
        operator.post("/console/login", data={"csrf": _csrf(page.text), "key": site.admin_key})
        html += operator.get("/console/apps").text + operator.get(f"/console/apps/{app.id}").text
    assert payload not in html
    assert "&lt;" in html


def test_pages_forbid_framing_and_inline_script(site: WebSite) -> None:
    with _client(site) as client:
        for path in ("/", "/privacy/login", "/console/login"):
            answer = client.get(path)
            csp = answer.headers["content-security-policy"]
            assert "frame-ancestors 'none'" in csp
            assert "script-src 'self'" in csp
            assert "unsafe-inline" not in csp
            assert answer.headers["x-frame-options"] == "DENY"
            assert answer.headers["cache-control"] == "no-store"
        cookie = client.get("/privacy/login").headers["set-cookie"].lower()
        assert "httponly" in cookie
        assert "samesite=strict" in cookie
        assert "secure" not in cookie  # plain HTTP here; Secure under HTTPS


def test_errors_are_pages_with_the_apis_status_and_code(site: WebSite) -> None:
    with _client(site) as client:
        missing = client.get("/privacy/no-such-page")
        assert missing.status_code == 404
        assert "text/html" in missing.headers["content-type"]
        assert "NOT_FOUND" in missing.text
        api_missing = client.get("/v1/no-such-route")
        assert api_missing.status_code == 404
        assert api_missing.json()["error"]["code"] == "NOT_FOUND"


def _post_routes(prefix: str) -> list[str]:
    from consentgate.web import console, console_more, privacy, privacy_data

    routers = (privacy.router, privacy_data.router, console.router, console_more.router)
    return sorted(
        route.path.replace("{consent_id}", "c_x")
        .replace("{app_id}", "app_x")
        .replace("{request_id}", "dsr_x")
        for router in routers
        for route in router.routes
        if "POST" in getattr(route, "methods", set()) and route.path.startswith(prefix)
    )


def test_every_form_of_a_signed_in_page_needs_its_csrf_token(site: WebSite) -> None:
    privacy_posts = _post_routes("/privacy")
    console_posts = _post_routes("/console")
    assert len(privacy_posts) >= 7
    assert len(console_posts) >= 9
    with _client(site) as person:
        _demo_sign_in(person, "9")
        for path in privacy_posts:
            answer = person.post(path, data={"csrf": "forged", "subject": "9", "type": "erasure"})
            assert answer.status_code == 403, path
    with _client(site) as operator:
        page = operator.get("/console/login")
        operator.post("/console/login", data={"csrf": _csrf(page.text), "key": site.admin_key})
        for path in console_posts:
            answer = operator.post(path, data={"csrf": "forged", "key": site.admin_key})
            assert answer.status_code == 403, path


def test_sign_in_goes_back_only_to_a_privacy_page(site: WebSite) -> None:
    cases = {
        "/privacy/disclosures": "/privacy/disclosures",
        "//evil.example/privacy": "/privacy",
        "https://evil.example/": "/privacy",
        "/privacy//evil.example": "/privacy",
        "/privacy\\\\evil": "/privacy",
        "/console/apps": "/privacy",
    }
    for wanted, landed in cases.items():
        with _client(site) as client:
            page = client.get("/privacy/login", params={"next": wanted})
            signed = client.post(
                "/privacy/login/demo",
                data={"csrf": _csrf(page.text), "subject": "10", "next": wanted},
            )
            assert signed.status_code == 303
            assert signed.headers["location"] == landed, wanted
    with _client(site) as client:
        sent = client.get("/privacy/disclosures")
        assert sent.status_code == 303
        assert sent.headers["location"] == "/privacy/login?next=%2Fprivacy%2Fdisclosures"
