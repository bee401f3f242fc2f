"""Parental consent as it was attacked (issue 11, item 8), over a real server: a minor's own
request with made-up evidence is refused 403 ``PARENTAL_CONSENT_REQUIRED``; a guardian the
platform names gives it with their own token at ``POST /v1/me/wards/{id}/consents``, and
nobody else can; booleans (and integers) in request bodies are JSON booleans (integers),
never ``"yes"``, ``1`` or ``"30"``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from consentgate.clock import utc_now
from tests.support import (
    REGISTRATION,
    LiveApp,
    LiveServer,
    adults,
    assert_envelope,
    client_of,
    make_live_app,
    read,
    scoped_ids,
    start_server,
    subjects_by_age,
)

SELF_ASSERTED = {
    "guardian_name": "My Mum",
    "guardian_email": "mum@example.org",
    "method": "I say so",
    "verified_at": "2030-01-01T00:00:00Z",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with start_server(tmp_path_factory.mktemp("parental")) as live:
        yield live


@pytest.fixture(scope="module")
def app(server: LiveServer) -> LiveApp:
    with client_of(server) as http:
        return make_live_app(http, server)


def family(server: LiveServer) -> tuple[str, str]:
    """A minor of the test platform and one of the guardians the platform names."""
    source = server.runtime.source
    for minor in subjects_by_age(source, server.runtime.catalog, minor=True, at=utc_now()):
        guardians = source.guardians(minor)
        if guardians:
            return minor, guardians[0]
    raise AssertionError("the demo platform names no guardian for any minor")


def body(app: LiveApp, **extra: Any) -> dict[str, Any]:
    return {"app_id": app.id, "purpose": "academic_research", "fields": ["name"]} | extra


def test_a_minors_self_asserted_parental_consent_is_refused(
    server: LiveServer, app: LiveApp
) -> None:
    minor, _ = family(server)
    with client_of(server) as http:
        response = http.post(
            "/v1/me/consents",
            headers=server.subject_headers(minor),
            json=body(
                app, fields=["political_views"], explicit=True, parental_consent=SELF_ASSERTED
            ),
        )
        assert_envelope(response, 403, "PARENTAL_CONSENT_REQUIRED")
        without = http.post(
            "/v1/me/consents", headers=server.subject_headers(minor), json=body(app)
        )
        assert_envelope(without, 403, "PARENTAL_CONSENT_REQUIRED")
        assert "/v1/me/wards/" in without.json()["error"]["message"]


def test_a_guardian_gives_it_with_their_own_token(server: LiveServer, app: LiveApp) -> None:
    minor, guardian = family(server)
    with client_of(server) as http:
        given = http.post(
            f"/v1/me/wards/{minor}/consents",
            headers=server.subject_headers(guardian),
            json=body(app, fields=["name", "political_views"], explicit=True),
        )
        assert given.status_code == 201, given.text
        assert given.json()["parental_consent"] is True
        receipt = server.runtime.stores.consents.get(
            subject_id=minor, consent_id=given.json()["id"]
        )
        assert receipt is not None
        assert receipt.parental_consent is not None
        assert receipt.parental_consent["guardian_subject_id"] == guardian

        # the app may now read the minor; the consent is the minor's own to see and withdraw
        assert read(http, app, scoped_ids(http, app)[0], "name").status_code == 200
        mine = http.get("/v1/me/consents", headers=server.subject_headers(minor)).json()
        assert given.json()["id"] in [c["id"] for c in mine["data"]]
        withdrawn = http.delete(
            f"/v1/me/consents/{given.json()['id']}", headers=server.subject_headers(minor)
        )
        assert withdrawn.status_code == 204


def test_nobody_else_can_give_it(server: LiveServer, app: LiveApp) -> None:
    minor, guardian = family(server)
    stranger = next(a for a in adults(server) if a not in server.runtime.source.guardians(minor))
    with client_of(server) as http:
        for who in (stranger, minor):
            refused = http.post(
                f"/v1/me/wards/{minor}/consents",
                headers=server.subject_headers(who),
                json=body(app),
            )
            assert_envelope(refused, 403, "FORBIDDEN")
        evidence = http.post(
            f"/v1/me/wards/{minor}/consents",
            headers=server.subject_headers(guardian),
            json=body(app, parental_consent=SELF_ASSERTED),
        )
        assert_envelope(evidence, 400, "BAD_REQUEST")
        # an adult is nobody's ward, even for someone the platform calls a guardian
        adult = adults(server)[0]
        assert not server.runtime.source.guardians(adult)
        not_a_ward = http.post(
            f"/v1/me/wards/{adult}/consents",
            headers=server.subject_headers(guardian),
            json=body(app),
        )
        assert_envelope(not_a_ward, 403, "FORBIDDEN")


@pytest.mark.parametrize("value", ["yes", 1, "on", "true", 0, None])
def test_booleans_must_be_json_booleans(server: LiveServer, app: LiveApp, value: Any) -> None:
    adult = adults(server)[0]
    with client_of(server) as http:
        response = http.post(
            "/v1/me/consents",
            headers=server.subject_headers(adult),
            json=body(app, fields=["religion"], explicit=value),
        )
    assert_envelope(response, 400, "BAD_REQUEST")


@pytest.mark.parametrize("value", ["30", 30.0, True])
def test_integers_must_be_json_integers(server: LiveServer, value: Any) -> None:
    with client_of(server) as http:
        response = http.post(
            "/v1/apps",
            headers=server.operator_headers,
            json=REGISTRATION | {"retention_days": value},
        )
    assert_envelope(response, 400, "BAD_REQUEST")
