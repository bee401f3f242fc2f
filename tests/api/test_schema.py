"""schemathesis against the served OpenAPI schema: every answer conforms to the schema —
no 5xx, a documented status code and content type, documented headers, and a body valid
against the operation's response model (every model forbids extra keys) — and every error
outside /oauth/token is the one envelope.

Two passes over every operation: generated requests (mostly refused: random ids and names,
so they check the error envelope and the 4xx documentation), and one well-formed request
per operation with real ids, so every success body — the read, the friends page, the token,
the app, the consent, the disclosure page with proofs, an incident — is checked against its
model too. (``positive_data_acceptance`` and ``negative_data_rejection`` are left out: a
well-formed request for an app or consent that does not exist is rightly refused.)

(schemathesis' own pytest plugin does not run under pytest 9 yet, so the operations'
hypothesis strategies are driven directly.)"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from consentgate.breach import contain
from consentgate.detect import Finding
from consentgate.operators import Role, create_operator_key
from tests.support import (
    REGISTRATION,
    LiveApp,
    LiveServer,
    adults,
    grant,
    make_live_app,
    read,
    start_server,
)

CONFORMANCE = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
)
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def fuzzed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server of its own with detection off: the fuzzer's random ids and field names would
    (rightly) get its app suspended after a few requests, and leave the read path unexplored.
    The shared server's bad-input tests run with detection on."""
    with start_server(tmp_path_factory.mktemp("fuzzed"), detect=False) as server:
        yield server


@dataclass(frozen=True)
class Known:
    """Real ids on the fuzzed server, for one well-formed request per operation."""

    server: LiveServer
    app: LiveApp
    subject: str
    scoped: str
    spare_consent: str  # renewed, then withdrawn
    to_approve: str  # a pending app: approved, suspended, reinstated
    to_reject: str  # another pending app
    incident: str
    request: str  # the subject's access request
    notice: str  # a restriction notice to ``app``
    open_request: str  # another person's objection: extended, then rejected
    restriction: str  # a third person's restriction: lifted
    breach: str  # the incident's breach: assessed, notified, closed
    spare_operator: str  # an auditor key's id: revoked

    @property
    def credentials(self) -> dict[str, dict[str, str]]:
        return {
            "app": self.app.headers,
            "subject": self.server.subject_headers(self.subject),
            "operator": self.server.operator_headers,
        }


@pytest.fixture(scope="module")
def known(fuzzed_server: LiveServer) -> Known:
    server = fuzzed_server
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        app = make_live_app(http, server, fields=["name", "birthday", "friends"])
        people = adults(server)
        subject = next(
            s for s in people[20:] if any(f in people for f in server.runtime.source.friends(s))
        )
        friend = next(f for f in server.runtime.source.friends(subject) if f in people)
        grant(http, server, subject, app, ["name", "friends"])
        grant(http, server, friend, app, ["name"])
        scoped = server.runtime.sealer.scoped_id(app.id, subject)
        for _ in range(2):
            assert read(http, app, scoped, "name").status_code == 200
        server.runtime.integrator.flush()  # some disclosures with proofs ...
        assert read(http, app, scoped, "name").status_code == 200  # ... and one without
        spare = make_live_app(http, server, fields=["birthday"])
        spare_consent = grant(http, server, subject, spare, ["birthday"])["id"]
        # an incident, with people in it: a contained app that read someone
        harvester = make_live_app(http, server, fields=["name"])
        grant(http, server, friend, harvester, ["name"])
        harvested = server.runtime.sealer.scoped_id(harvester.id, friend)
        assert read(http, harvester, harvested, "name").status_code == 200
        incident = contain(
            server.runtime.stores,
            Finding(harvester.id, "id_enumeration", 600, {"explanation": "schema test"}),
            context=server.runtime.breach_context,
        )
        [breach] = server.runtime.stores.breaches.page(app_id=harvester.id)
        pending = [
            http.post("/v1/apps", json=REGISTRATION, headers=server.operator_headers).json()["id"]
            for _ in range(2)
        ]
        # rights: a request of the subject, a notice to the app, open requests of others
        me = server.subject_headers(subject)
        request = http.post("/v1/me/requests", json={"type": "access"}, headers=me).json()["id"]
        restricted = http.post(
            "/v1/me/requests", json={"type": "restriction", "ground": "unlawful"}, headers=me
        ).json()
        [notice] = [r["notice_id"] for r in restricted["recipients"]]
        assert http.delete("/v1/me/restriction", headers=me).status_code == 204
        others = [p for p in people if p not in (subject, friend)]
        open_request = http.post(
            "/v1/me/requests",
            json={"type": "objection", "purposes": ["analytics"]},
            headers=server.subject_headers(others[0]),
        ).json()["id"]
        restriction = http.post(
            "/v1/me/requests",
            json={"type": "restriction", "ground": "legal_claims"},
            headers=server.subject_headers(others[1]),
        ).json()["id"]
        objection = http.post(
            "/v1/me/requests", json={"type": "objection", "purposes": ["analytics"]}, headers=me
        )
        assert objection.status_code == 201, objection.text
    return Known(
        server,
        app,
        subject,
        scoped,
        spare_consent,
        *pending,
        incident.id,
        request,
        notice,
        open_request,
        restriction,
        breach.id,
        _spare_operator(server),
    )


def _spare_operator(server: LiveServer) -> str:
    operators = server.runtime.stores.operators
    create_operator_key(operators, role=Role.AUDITOR, label="schema spare")
    [spare] = [k.id for k in operators.list_keys() if k.label == "schema spare"]
    return spare


def _headers_for(path: str, credentials: dict[str, dict[str, str]]) -> dict[str, str]:
    if path == "/oauth/token":
        return {}  # the client's credentials are in the body
    if path.startswith("/v1/me"):
        return credentials["subject"]
    if path == "/v1/catalog" or path.endswith("/profile"):
        return {}  # public, for apps' own consent screens
    if path.startswith(
        (
            "/v1/apps",
            "/v1/incidents",
            "/v1/requests",
            "/v1/breaches",
            "/v1/records-of-processing",
            "/v1/operators",
        )
    ):
        return credentials["operator"]
    if path.startswith(("/v1/ledger", "/v1/transparency", "/v1/receipts", "/healthz")):
        return {}  # public (a bearer that is no operator key is refused on the ledger's)
    return credentials["app"]


def _check(case: schemathesis.Case, credentials: dict[str, dict[str, str]]) -> httpx.Response:
    response = case.call(headers=_headers_for(case.path, credentials))
    case.validate_response(response, checks=CONFORMANCE)
    if response.status_code >= 400 and case.path != "/oauth/token":
        body = response.json()
        assert set(body) == {"error"}
        assert body["error"]["status"] == response.status_code
    return response  # type: ignore[no-any-return]


def _well_formed(known: Known) -> list[tuple[str, dict[str, Any], int]]:
    """One request per operation that the server answers with its success status (plus a
    decision's 403, whose envelope carries ``withheld``), in an order that works."""
    read_query = {"fields": "name,friends,birthday", "purpose": "academic_research"}
    return [
        ("GET /v1/subjects/{subject_id}", {"path_parameters": {"subject_id": known.scoped},
                                           "query": read_query}, 200),
        ("GET /v1/subjects/{subject_id}", {"path_parameters": {"subject_id": known.scoped},
                                           "query": {"fields": "birthday",
                                                     "purpose": "academic_research"}}, 403),
        ("GET /v1/subjects/{subject_id}/friends",
         {"path_parameters": {"subject_id": known.scoped},
          "query": {"fields": "name,birthday", "purpose": "academic_research"}}, 200),
        ("GET /v1/app/subjects", {"query": {"purpose": "academic_research"}}, 200),
        ("POST /oauth/token", {"media_type": FORM, "body": {
            "grant_type": "client_credentials", "client_id": known.app.client_id,
            "client_secret": known.app.client_secret}}, 200),
        ("POST /v1/me/consents", {"media_type": "application/json", "body": {
            "app_id": known.app.id, "purpose": "academic_research", "fields": ["birthday"]}},
         201),
        ("GET /v1/me/consents", {}, 200),
        ("POST /v1/me/consents/{consent_id}/renew",
         {"path_parameters": {"consent_id": known.spare_consent}}, 200),
        ("DELETE /v1/me/consents/{consent_id}",
         {"path_parameters": {"consent_id": known.spare_consent}}, 204),
        ("GET /v1/me/disclosures", {}, 200),
        ("POST /v1/apps", {"media_type": "application/json", "body": REGISTRATION}, 201),
        ("GET /v1/apps", {"query": {"limit": 2}}, 200),
        ("GET /v1/apps/{app_id}", {"path_parameters": {"app_id": known.app.id}}, 200),
        ("POST /v1/apps/{app_id}/approve", {"path_parameters": {"app_id": known.to_approve}},
         200),
        ("POST /v1/apps/{app_id}/reject", {"path_parameters": {"app_id": known.to_reject},
                                           "media_type": "application/json",
                                           "body": {"reason": "schema test"}}, 200),
        ("POST /v1/apps/{app_id}/suspend", {"path_parameters": {"app_id": known.to_approve},
                                            "media_type": "application/json",
                                            "body": {"reason": "schema test"}}, 200),
        ("POST /v1/apps/{app_id}/reinstate", {"path_parameters": {"app_id": known.to_approve}},
         200),
        ("POST /v1/apps/{app_id}/secret", {"path_parameters": {"app_id": known.to_reject}}, 200),
        ("GET /v1/operators", {}, 200),
        ("DELETE /v1/operators/{operator_id}",
         {"path_parameters": {"operator_id": known.spare_operator}}, 200),
        ("GET /v1/incidents", {}, 200),
        ("GET /v1/incidents/{incident_id}",
         {"path_parameters": {"incident_id": known.incident}}, 200),
        ("GET /v1/incidents/{incident_id}/subjects",
         {"path_parameters": {"incident_id": known.incident}}, 200),
        ("POST /v1/breaches", {"media_type": "application/json", "body": {
            "app_id": known.app.id, "window_start": "2026-01-01T00:00:00Z",
            "description": "schema test"}}, 201),
        ("GET /v1/breaches", {"query": {"limit": 2}}, 200),
        ("GET /v1/breaches/{breach_id}", {"path_parameters": {"breach_id": known.breach}}, 200),
        ("GET /v1/breaches/{breach_id}/report",
         {"path_parameters": {"breach_id": known.breach}}, 200),
        ("GET /v1/breaches/{breach_id}/subjects",
         {"path_parameters": {"breach_id": known.breach}}, 200),
        ("POST /v1/breaches/{breach_id}/assess", {"path_parameters": {"breach_id": known.breach},
                                                  "media_type": "application/json",
                                                  "body": {"notifiable": True,
                                                           "reason": "schema test"}}, 200),
        ("POST /v1/breaches/{breach_id}/notify", {"path_parameters": {"breach_id": known.breach},
                                                  "media_type": "application/json",
                                                  "body": {"authority": "IE DPC",
                                                           "reference": "BN-1"}}, 200),
        ("POST /v1/breaches/{breach_id}/close", {"path_parameters": {"breach_id": known.breach},
                                                 "media_type": "application/json",
                                                 "body": {"reason": "schema test"}}, 200),
        ("GET /v1/records-of-processing", {}, 200),
        ("GET /v1/ledger/checkpoint", {}, 200),
        ("GET /v1/ledger/key", {}, 200),
        ("GET /v1/ledger/leaves", {"query": {"start": 0, "end": 3}}, 200),
        ("GET /v1/ledger/proof/inclusion", {"query": {"index": 0, "size": 2}}, 200),
        ("GET /v1/ledger/proof/consistency", {"query": {"first": 1, "second": 2}}, 200),
        ("GET /v1/transparency/political", {}, 200),
        ("GET /v1/transparency/political", {"query": {"format": "csv", "limit": 1}}, 200),
        ("GET /v1/receipts/jwks", {}, 200),
        ("GET /v1/catalog", {}, 200),
        ("GET /v1/apps/{app_id}/profile", {"path_parameters": {"app_id": known.app.id}}, 200),
        ("GET /healthz", {}, 200),
        ("GET /v1/rights/capabilities", {}, 200),
        ("GET /v1/me/requests", {}, 200),
        ("GET /v1/me/requests/{request_id}",
         {"path_parameters": {"request_id": known.request}}, 200),
        ("GET /v1/me/export", {"query": {"format": "json"}}, 200),
        ("DELETE /v1/me/objections/{purpose}", {"path_parameters": {"purpose": "analytics"}},
         204),
        ("POST /v1/me/requests", {"media_type": "application/json", "body": {
            "type": "restriction", "ground": "accuracy_contested"}}, 201),
        ("DELETE /v1/me/restriction", {}, 204),
        ("GET /v1/app/notices", {"query": {"status": "pending"}}, 200),
        ("POST /v1/app/notices/{notice_id}/ack",
         {"path_parameters": {"notice_id": known.notice}}, 204),
        ("GET /v1/requests", {"query": {"status": "in_progress"}}, 200),
        ("GET /v1/requests/{request_id}",
         {"path_parameters": {"request_id": known.request}}, 200),
        ("POST /v1/requests", {"media_type": "application/json", "body": {
            "type": "access", "subject_id": known.subject, "verified_by": "schema test"}}, 201),
        ("POST /v1/requests/{request_id}/extend",
         {"path_parameters": {"request_id": known.open_request},
          "media_type": "application/json", "body": {"months": 1, "reason": "schema"}}, 200),
        ("POST /v1/requests/{request_id}/reject",
         {"path_parameters": {"request_id": known.open_request},
          "media_type": "application/json", "body": {"reason": "schema test"}}, 200),
        ("POST /v1/requests/{request_id}/lift",
         {"path_parameters": {"request_id": known.restriction}}, 200),
    ]  # fmt: skip


@pytest.mark.slow
def test_every_answer_conforms_to_the_schema(known: Known) -> None:
    schema = schemathesis.openapi.from_url(f"{known.server.base_url}/openapi.json")
    operations = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        operations[f"{operation.method.upper()} {operation.path}"] = operation
    assert len(operations) >= 25, sorted(operations)
    credentials = known.credentials

    # 1. one well-formed request per operation (first, so the fuzzer then meets real data)
    succeeded = set()
    for key, kwargs, status in _well_formed(known):
        case = operations[key].Case(**kwargs)
        response = _check(case, credentials)
        assert response.status_code == status, f"{key}: {response.text}"
        if status < 400:
            succeeded.add(key)
    assert succeeded == set(operations), "every success body is checked against its model"

    # 2. what the fuzzer generates for each operation
    for operation in operations.values():

        @settings(
            max_examples=30,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case: schemathesis.Case) -> None:
            _check(case, credentials)

        check()
