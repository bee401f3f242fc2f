"""Bad input over real HTTP: always a clear 4xx in the one envelope, never a 5xx, and
nothing recorded as disclosed."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import httpx
import jwt
import pytest

from consentgate.storage.secrets import server_secret
from tests.support import LiveApp, LiveServer, adults, assert_envelope, grant, make_live_app


@pytest.fixture
def consenting(http: httpx.Client, live_server: LiveServer, live_app: LiveApp) -> str:
    """The app-scoped id of a subject who consented to ``name`` (so a bad request that
    slipped through would release data)."""
    subject = adults(live_server)[10]
    grant(http, live_server, subject, live_app, ["name"])
    return live_server.runtime.sealer.scoped_id(live_app.id, subject)


BAD_READS: list[tuple[str, dict[str, Any] | str, int, str]] = [
    ("no fields", {"purpose": "academic_research"}, 400, "BAD_REQUEST"),
    ("no purpose", {"fields": "name"}, 400, "BAD_REQUEST"),
    ("empty fields", {"fields": "", "purpose": "academic_research"}, 400, "BAD_REQUEST"),
    ("unknown field", {"fields": "name,shoe_size", "purpose": "academic_research"}, 400,
     "UNKNOWN_FIELD"),
    ("unknown purpose", {"fields": "name", "purpose": "mind_control"}, 400, "UNKNOWN_PURPOSE"),
    ("sql in fields", {"fields": "name;DROP TABLE consents", "purpose": "academic_research"},
     400, "BAD_REQUEST"),
    ("oversized fields", {"fields": "name," * 600 + "name", "purpose": "academic_research"},
     400, "BAD_REQUEST"),
    ("unknown parameter", {"fields": "name", "purpose": "academic_research", "field": "x"},
     400, "BAD_REQUEST"),
    ("duplicate fields", "fields=name&fields=name&purpose=academic_research", 400, "BAD_REQUEST"),
    ("duplicate purpose", "fields=name&purpose=academic_research&purpose=analytics", 400,
     "BAD_REQUEST"),
    ("non-utf8 query", "fields=%FF%FE&purpose=academic_research", 400, "BAD_REQUEST"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "params", "status", "code"), BAD_READS, ids=[c[0] for c in BAD_READS]
)
def test_bad_read_parameters(
    http: httpx.Client,
    live_server: LiveServer,
    live_app: LiveApp,
    consenting: str,
    case: str,
    params: dict[str, Any] | str,
    status: int,
    code: str,
) -> None:
    before = live_server.disclosure_count()
    if isinstance(params, str):
        response = http.get(f"/v1/subjects/{consenting}?{params}", headers=live_app.headers)
    else:
        response = http.get(f"/v1/subjects/{consenting}", headers=live_app.headers, params=params)
    assert_envelope(response, status, code)
    assert live_server.disclosure_count() == before


@pytest.mark.parametrize(
    "path_id",
    [
        "' OR 1=1 --",
        "1; DROP TABLE apps",
        "%2e%2e%2fetc%2fpasswd",
        "%FF%FE%00",
        "u" + "A" * 300,
        "1",
    ],
)
def test_hostile_subject_ids_look_like_unknown_subjects(
    http: httpx.Client, live_server: LiveServer, live_app: LiveApp, path_id: str
) -> None:
    before = live_server.disclosure_count()
    response = http.get(
        f"/v1/subjects/{path_id}?fields=name&purpose=academic_research", headers=live_app.headers
    )
    assert response.status_code in (400, 403, 404), response.text
    assert_envelope(response, response.status_code)
    if response.status_code == 403:
        assert response.json()["error"]["code"] == "NO_CONSENT"
    assert live_server.disclosure_count() == before


def test_path_traversal_is_a_404_envelope(http: httpx.Client, live_app: LiveApp) -> None:
    response = http.get(
        "/v1/subjects/../../etc/passwd?fields=name&purpose=x", headers=live_app.headers
    )
    assert_envelope(response, 404, "NOT_FOUND")
    assert_envelope(http.get("/nope"), 404, "NOT_FOUND")
    assert_envelope(http.put("/v1/apps"), 405)


def _app_token(live_server: LiveServer, **overrides: Any) -> str:
    secret = server_secret(live_server.runtime.db, "app-tokens")
    now = int(time.time())
    claims = {"iss": "consentgate", "aud": "consentgate-app", "sub": "app_x", "typ": "app",
              "iat": now, "exp": now + 600} | overrides  # fmt: skip
    return jwt.encode(claims, secret, algorithm="HS256")


def _none_token(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def test_forged_expired_and_wrong_kind_of_tokens(
    http: httpx.Client, live_server: LiveServer, live_app: LiveApp, consenting: str
) -> None:
    url = f"/v1/subjects/{consenting}?fields=name&purpose=academic_research"
    now = int(time.time())
    cases = {
        "garbage": "not-a-jwt",
        "expired": _app_token(live_server, sub=live_app.id, exp=now - 60, iat=now - 120),
        "alg none": _none_token({"sub": live_app.id, "typ": "app", "aud": "consentgate-app",
                                 "iss": "consentgate", "exp": now + 600, "iat": now}),
        "other secret": jwt.encode({"sub": live_app.id, "typ": "app", "aud": "consentgate-app",
                                    "iss": "consentgate", "exp": now + 600, "iat": now},
                                   "x" * 40, algorithm="HS256"),
        "subject token": live_server.subject_headers("1")["Authorization"].split()[1],
        "missing exp": jwt.encode({"sub": live_app.id, "typ": "app", "aud": "consentgate-app",
                                   "iss": "consentgate", "iat": now},
                                  server_secret(live_server.runtime.db, "app-tokens"),
                                  algorithm="HS256"),
    }  # fmt: skip
    before = live_server.disclosure_count()
    for name, token in cases.items():
        response = http.get(url, headers={"Authorization": f"Bearer {token}"})
        assert_envelope(response, 401, "INVALID_TOKEN"), name
    assert_envelope(http.get(url), 401, "UNAUTHENTICATED")
    assert_envelope(http.get(url, headers={"Authorization": "Basic abc"}), 401, "UNAUTHENTICATED")
    # an app token is not a subject token, nor an operator key
    assert_envelope(http.get("/v1/me/consents", headers=live_app.headers), 401, "INVALID_TOKEN")
    assert_envelope(http.get("/v1/apps", headers=live_app.headers), 401, "INVALID_TOKEN")
    assert live_server.disclosure_count() == before


def test_another_apps_token_cannot_read_this_apps_subjects(
    http: httpx.Client, live_server: LiveServer, live_app: LiveApp, consenting: str
) -> None:
    other = make_live_app(http, live_server)
    response = http.get(
        f"/v1/subjects/{consenting}?fields=name&purpose=academic_research", headers=other.headers
    )
    assert_envelope(response, 403, "NO_CONSENT")


def test_subject_endpoints(http: httpx.Client, live_server: LiveServer, live_app: LiveApp) -> None:
    headers = live_server.subject_headers(adults(live_server)[11])
    assert_envelope(
        http.get("/v1/me/consents", headers=live_server.subject_headers("no-such-subject")),
        404,
        "NOT_FOUND",
    )
    bodies: list[Any] = [
        "not json",
        [],
        "string",
        {"app_id": live_app.id},
        {"app_id": live_app.id, "purpose": "academic_research", "fields": "name"},
        {"app_id": live_app.id, "purpose": "academic_research", "fields": ["name"], "extra": 1},
        {"app_id": live_app.id, "purpose": "academic_research", "fields": ["name"],
         "explicit": "yes please"},
    ]  # fmt: skip
    for body in bodies:
        if isinstance(body, str) and body == "not json":
            response = http.post(
                "/v1/me/consents",
                headers=headers | {"content-type": "application/json"},
                content=b"{not json",
            )
        else:
            response = http.post("/v1/me/consents", headers=headers, json=body)
        assert_envelope(response, 400, "BAD_REQUEST")
    refused = http.post(
        "/v1/me/consents",
        headers=headers,
        json={"app_id": live_app.id, "purpose": "academic_research", "fields": ["religion"]},
    )
    assert_envelope(refused, 403, "EXPLICIT_CONSENT_REQUIRED")
    unknown = http.post(
        "/v1/me/consents",
        headers=headers,
        json={"app_id": "app_nope", "purpose": "academic_research", "fields": ["name"]},
    )
    assert_envelope(unknown, 404, "NOT_FOUND")
    assert_envelope(http.delete("/v1/me/consents/cns_nope", headers=headers), 404, "NOT_FOUND")
    assert_envelope(http.get("/v1/me/consents?cursor=forged", headers=headers), 400, "BAD_REQUEST")
    assert_envelope(http.get("/v1/me/consents?limit=0", headers=headers), 400, "BAD_REQUEST")
    assert_envelope(http.get("/v1/me/consents?limit=5000", headers=headers), 400, "BAD_REQUEST")


def test_oversized_bodies_get_a_413_envelope(http: httpx.Client, live_server: LiveServer) -> None:
    headers = live_server.subject_headers(adults(live_server)[12])
    big = b'{"app_id": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    response = http.post(
        "/v1/me/consents", headers=headers | {"content-type": "application/json"}, content=big
    )
    assert_envelope(response, 413, "BODY_TOO_LARGE")

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(40):
            yield b"x" * 65536

    streamed = http.post(
        "/v1/me/consents",
        headers=headers | {"content-type": "application/json"},
        content=chunks(),
    )
    assert_envelope(streamed, 413, "BODY_TOO_LARGE")


def test_operator_roles(http: httpx.Client, live_server: LiveServer, live_app: LiveApp) -> None:
    from consentgate.operators import Role, create_operator_key

    auditor = create_operator_key(live_server.runtime.stores.operators, role=Role.AUDITOR)
    headers = {"Authorization": f"Bearer {auditor}"}
    assert http.get(f"/v1/apps/{live_app.id}", headers=headers).status_code == 200
    listed = http.get("/v1/apps?limit=1", headers=headers)
    assert listed.status_code == 200
    assert listed.json()["paging"]["next"] is not None
    assert_envelope(
        http.post(f"/v1/apps/{live_app.id}/suspend", headers=headers, json={"reason": "x"}),
        403,
        "FORBIDDEN",
    )
    assert_envelope(
        http.get("/v1/apps", headers={"Authorization": "Bearer cgop_forged-key-value-1234567"}),
        401,
        "INVALID_TOKEN",
    )
    assert_envelope(
        http.post(f"/v1/apps/{live_app.id}/approve", headers=live_server.operator_headers),
        409,
        "INVALID_TRANSITION",
    )
    assert_envelope(
        http.post("/v1/apps", headers=live_server.operator_headers, json={"name": 5}),
        400,
        "BAD_REQUEST",
    )


def test_oauth_token_errors_follow_rfc_6749(http: httpx.Client, live_app: LiveApp) -> None:
    good = {
        "grant_type": "client_credentials",
        "client_id": live_app.client_id,
        "client_secret": live_app.client_secret,
    }
    cases = [
        (good | {"client_secret": "wrong"}, 401, "invalid_client"),
        (good | {"client_id": "cg_nope"}, 401, "invalid_client"),
        (good | {"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({k: v for k, v in good.items() if k != "grant_type"}, 400, "invalid_request"),
    ]
    for data, status, error in cases:
        response = http.post("/oauth/token", data=data)
        assert response.status_code == status
        assert response.json()["error"] == error
        assert "error_description" in response.json()
    as_json = http.post("/oauth/token", json=good)
    assert as_json.status_code == 400
    assert as_json.json()["error"] == "invalid_request"
    repeated = http.post(
        "/oauth/token",
        content=b"grant_type=client_credentials&grant_type=client_credentials",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert repeated.json()["error"] == "invalid_request"
    basic = http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(live_app.client_id, live_app.client_secret),
    )
    assert basic.status_code == 200
    assert basic.json()["token_type"] == "Bearer"
    bad_basic = http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(live_app.client_id, "x")
    )
    assert bad_basic.status_code == 401
    assert bad_basic.headers["www-authenticate"].startswith("Basic")
