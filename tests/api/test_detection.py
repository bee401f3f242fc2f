"""Harvest detection and containment end to end, against a real server over real HTTP:
a firing rule suspends the app at once (its next request is refused, its tokens are dead),
opens an incident whose evidence matches what the app received, notifies the operator by
a signed webhook, and only an operator reinstates."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from standardwebhooks import Webhook

from consentgate.operators import Role, create_operator_key
from consentgate.rights import shred_subject
from consentgate.sim.server import free_port
from tests.support import (
    LiveApp,
    LiveServer,
    adults,
    grant,
    make_live_app,
    read,
    scoped_ids,
    start_server,
)

PURPOSE = "academic_research"


def forged(n: int) -> list[str]:
    return [f"cg1.{'A' * 20}{i:04d}" for i in range(n)]


def incidents_of(http: httpx.Client, server: LiveServer, app: LiveApp) -> list[dict[str, Any]]:
    listed = http.get("/v1/incidents", headers=server.operator_headers, params={"limit": 1000})
    assert listed.status_code == 200, listed.text
    return [i for i in listed.json()["data"] if i["app_id"] == app.id]


def received(http: httpx.Client, app: LiveApp, ids: list[str]) -> set[str]:
    """Read each id; the scoped ids the app actually got data for."""
    got = set()
    for scoped in ids:
        response = read(http, app, scoped, "name,birthday")
        if response.status_code == 200 and response.json()["data"]:
            got.add(scoped)
    return got


def test_id_enumeration_suspends_the_app_and_opens_an_incident(
    http: httpx.Client, live_server: LiveServer, live_app: LiveApp
) -> None:
    # adults 200+ are these tests' own: the ledger tests on the shared server count the
    # leaves of the subjects they use
    subjects = adults(live_server)[200:203]
    for subject in subjects:
        grant(http, live_server, subject, live_app, ["name", "birthday"])
    ids = scoped_ids(http, live_app)
    assert received(http, live_app, ids) == set(ids)

    answers = [read(http, live_app, guess, "name").json()["error"]["code"] for guess in forged(25)]
    assert answers[:19] == ["NO_CONSENT"] * 19  # identical to any other non-consenting id (I6)
    assert answers[19:] == ["APP_SUSPENDED"] * 6  # the 20th tipped it, and was refused too

    # the very next request is refused, for every subject, and the token is dead
    refused = read(http, live_app, ids[0], "name")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "APP_SUSPENDED"
    token = http.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": live_app.client_id,
            "client_secret": live_app.client_secret,
        },
    )
    assert token.status_code == 400
    assert token.json()["error"] == "unauthorized_client"
    shown = http.get(f"/v1/apps/{live_app.id}", headers=live_server.operator_headers).json()
    assert shown["status"] == "suspended"
    assert "id_enumeration" in shown["status_reason"]

    [incident] = incidents_of(http, live_server, live_app)
    assert incident["rule"] == "id_enumeration"
    assert incident["status"] == "open"
    assert incident["evidence"]["foreign_ids"] == 20
    assert incident["evidence"]["window_seconds"] == 86_400
    assert "never given" in incident["evidence"]["explanation"]
    # the evidence matches what the app actually received: the three, and no one else
    assert incident["subjects_disclosed"] == 3
    listed = http.get(
        f"/v1/incidents/{incident['id']}/subjects", headers=live_server.operator_headers
    )
    assert sorted(s["subject_id"] for s in listed.json()["data"]) == sorted(subjects)
    one = http.get(f"/v1/incidents/{incident['id']}", headers=live_server.operator_headers)
    assert one.json() == incident

    # erasure (I5): a shredded subject leaves the incident's list of people, the count stays
    shred_subject(live_server.runtime.stores, subjects[0])
    after = http.get(
        f"/v1/incidents/{incident['id']}/subjects", headers=live_server.operator_headers
    )
    assert sorted(s["subject_id"] for s in after.json()["data"]) == sorted(subjects[1:])
    assert incidents_of(http, live_server, live_app)[0]["subjects_disclosed"] == 3


def test_reinstatement_is_an_operators_and_starts_afresh(
    http: httpx.Client, live_server: LiveServer, live_app: LiveApp
) -> None:
    subject = adults(live_server)[203]
    grant(http, live_server, subject, live_app, ["name"])
    [scoped] = scoped_ids(http, live_app)
    for guess in forged(20):
        read(http, live_app, guess, "name")
    assert read(http, live_app, scoped, "name").json()["error"]["code"] == "APP_SUSPENDED"

    # the app cannot lift it; an operator can, and the incident closes
    assert (
        http.post(f"/v1/apps/{live_app.id}/reinstate", headers=live_app.headers).status_code == 401
    )
    back = http.post(f"/v1/apps/{live_app.id}/reinstate", headers=live_server.operator_headers)
    assert back.status_code == 200
    assert back.json()["status"] == "approved"
    [incident] = incidents_of(http, live_server, live_app)
    assert incident["status"] == "closed"
    assert incident["closed_at"] is not None

    # the old token reads again, and the earlier guesses no longer count
    assert read(http, live_app, scoped, "name").status_code == 200
    assert all(read(http, live_app, g, "name").status_code == 403 for g in forged(19))
    assert read(http, live_app, scoped, "name").status_code == 200


def test_asking_for_fields_outside_the_catalog_is_a_sweep(
    http: httpx.Client, live_server: LiveServer, live_app: LiveApp
) -> None:
    subject = adults(live_server)[204]
    grant(http, live_server, subject, live_app, ["name"])
    [scoped] = scoped_ids(http, live_app)
    for name in ["password", "phone", "ssn", "salary", "location"] * 2:
        response = read(http, live_app, scoped, f"name,{name}")
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "UNKNOWN_FIELD"
    refused = read(http, live_app, scoped, "name")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "APP_SUSPENDED"
    [incident] = incidents_of(http, live_server, live_app)
    assert incident["rule"] == "field_sweep"
    assert incident["evidence"]["fields"] == ["location", "password", "phone", "salary", "ssn"]
    assert incident["subjects_disclosed"] == 0


def test_a_crawl_for_refused_fields_is_contained_with_the_right_scope(
    http: httpx.Client, live_server: LiveServer
) -> None:
    """The quiz crawl: each installer asked for political views and religion they did not
    give. The incident counts exactly the installers whose data the app received."""
    app = make_live_app(
        http, live_server, fields=["name", "birthday", "political_views", "religion", "friends"]
    )
    installers = adults(live_server)[210:280]
    for subject in installers:
        grant(http, live_server, subject, app, ["name", "birthday", "friends"])
    got: set[str] = set()
    codes = []
    for scoped in scoped_ids(http, app):
        response = read(http, app, scoped, "name,birthday,political_views,religion")
        codes.append(response.status_code)
        if response.status_code == 200:
            assert response.json()["withheld"]["religion"] == "FIELD_NOT_CONSENTED"
            got.add(scoped)
    assert codes.count(200) == 49
    assert codes[49:] == [403] * (len(codes) - 49)
    [incident] = incidents_of(http, live_server, app)
    assert incident["rule"] == "refused_data_probing"
    assert incident["evidence"]["refused_requests"] == 50
    assert incident["subjects_disclosed"] == len(got) == 49


def test_incidents_are_for_operators_and_subject_lists_for_the_dpo(
    http: httpx.Client, live_server: LiveServer, live_app: LiveApp
) -> None:
    for guess in forged(20):
        read(http, live_app, guess, "name")
    [incident] = incidents_of(http, live_server, live_app)
    auditor_key = create_operator_key(live_server.runtime.stores.operators, role=Role.AUDITOR)
    auditor = {"Authorization": f"Bearer {auditor_key}"}
    assert http.get("/v1/incidents", headers=auditor).status_code == 200
    assert http.get(f"/v1/incidents/{incident['id']}", headers=auditor).status_code == 200
    subjects = http.get(f"/v1/incidents/{incident['id']}/subjects", headers=auditor)
    assert subjects.status_code == 403
    assert subjects.json()["error"]["code"] == "FORBIDDEN"
    assert http.get("/v1/incidents", headers=live_app.headers).status_code == 401
    missing = http.get("/v1/incidents/inc_nope", headers=live_server.operator_headers)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "NOT_FOUND"
    bad = http.get("/v1/incidents", headers=live_server.operator_headers, params={"cursor": "x"})
    assert bad.status_code == 400


# --- settings: the webhook, and detection switched off -----------------------------------


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[bytes, dict[str, str]]]] = []
    arrived = threading.Event()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        _Receiver.received.append((body, {k.lower(): v for k, v in self.headers.items()}))
        self.send_response(204)
        self.end_headers()
        _Receiver.arrived.set()

    def log_message(self, *_: object) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[str]:
    port = free_port()
    server = HTTPServer(("127.0.0.1", port), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}/hooks/consentgate"
    server.shutdown()
    server.server_close()


SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def test_the_operator_gets_a_signed_webhook(tmp_path: Path, receiver: str) -> None:
    with (
        start_server(tmp_path, webhook_url=receiver, webhook_secret=SECRET) as server,
        httpx.Client(base_url=server.base_url, timeout=30) as http,
    ):
        app = make_live_app(http, server)
        for guess in forged(20):
            read(http, app, guess, "name")
        assert _Receiver.arrived.wait(timeout=10)
        [incident] = incidents_of(http, server, app)
    body, headers = _Receiver.received[-1]
    payload = Webhook(SECRET).verify(body, headers)  # raises on a bad signature
    assert payload["type"] == "consentgate.incident.opened"
    assert payload["data"]["app_id"] == app.id
    assert payload["data"]["rule"] == "id_enumeration"
    with pytest.raises(Exception, match="signature"):
        Webhook(SECRET).verify(body.replace(b"id_enumeration", b"id_enumeratioN"), headers)
    assert payload["data"] == incident  # the incident as the API shows it: counts, not people


def test_with_detection_off_nothing_is_suspended(tmp_path: Path) -> None:
    with (
        start_server(tmp_path, detect=False) as server,
        httpx.Client(base_url=server.base_url, timeout=30) as http,
    ):
        assert server.runtime.watch is None
        app = make_live_app(http, server)
        codes = {read(http, app, guess, "name").json()["error"]["code"] for guess in forged(40)}
        assert codes == {"NO_CONSENT"}
        assert http.get("/v1/incidents", headers=server.operator_headers).json()["data"] == []
