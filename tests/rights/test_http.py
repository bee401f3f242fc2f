"""Every request type end to end, on a real server over real HTTP (on SQLite and on
PostgreSQL): the subject's requests,
the export (JSON and CSV, recorded in the ledger first), restriction and objection on the
very next read, rectification and erasure at the source with Art. 19 notices delivered to a
receiver that checks the Standard Webhooks signature, the operator queue and its steps."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from consentgate.clock import utc_now
from consentgate.ledger import stored_verifier
from consentgate.ledger.fsck import check_database
from consentgate.operators import Role, create_operator_key
from consentgate.testing.webhooks import WebhookReceiver
from tests.support import (
    REGISTRATION,
    LiveApp,
    LiveServer,
    client_of,
    make_live_app,
    start_server,
)

PURPOSE = "academic_research"


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A server on SQLite, and one on PostgreSQL. The dispatcher's own rounds are rare: the
    tests run them (``flush``, the hook)."""
    url = None if request.param == "sqlite" else request.getfixturevalue("postgres_server_url")
    folder = tmp_path_factory.mktemp("rights")
    with start_server(folder, database_url=url, notice_poll_ms=60_000) as live:
        yield live


@pytest.fixture(scope="module")
def people(server: LiveServer) -> Iterator[str]:
    """Adults of the test platform, a fresh one for each use."""
    today = utc_now().date()
    catalog = server.runtime.catalog
    found = []
    for s in server.runtime.source.attributes([str(i) for i in range(1, 401)]).values():
        assert s.birth_date is not None
        age = (
            today.year
            - s.birth_date.year
            - ((today.month, today.day) < (s.birth_date.month, s.birth_date.day))
        )
        if age >= catalog.age_of_consent(s.country) + 1 and s.country not in ("US",):
            found.append(s.id)
    return iter(found)


@pytest.fixture
def http(server: LiveServer) -> Iterator[httpx.Client]:
    with client_of(server) as client:
        yield client


def new_app(
    http: httpx.Client, server: LiveServer, receiver: WebhookReceiver | None = None
) -> LiveApp:
    app = make_live_app(http, server, receiver=receiver)
    shown = http.get(f"/v1/apps/{app.id}", headers=server.operator_headers).json()
    assert shown["notification_url"] == (None if receiver is None else receiver.url)
    return app


def consent(
    http: httpx.Client,
    server: LiveServer,
    subject: str,
    app: LiveApp,
    fields: list[str],
    purpose: str = PURPOSE,
) -> httpx.Response:
    return http.post(
        "/v1/me/consents",
        headers=server.subject_headers(subject),
        json={"app_id": app.id, "purpose": purpose, "fields": fields},
    )


def read(
    http: httpx.Client,
    server: LiveServer,
    app: LiveApp,
    subject: str,
    fields: str,
    purpose: str = PURPOSE,
) -> httpx.Response:
    scoped = server.runtime.sealer.scoped_id(app.id, subject)
    return http.get(
        f"/v1/subjects/{scoped}", headers=app.headers, params={"fields": fields, "purpose": purpose}
    )


def ask(http: httpx.Client, server: LiveServer, subject: str, **body: Any) -> httpx.Response:
    return http.post("/v1/me/requests", headers=server.subject_headers(subject), json=body)


def disclosed(
    http: httpx.Client, server: LiveServer, subject: str, app: LiveApp, fields: list[str]
) -> None:
    assert consent(http, server, subject, app, fields).status_code == 201
    response = read(http, server, app, subject, ",".join(fields))
    assert response.status_code == 200, response.text


def test_access_completes_at_once_and_the_export_lists_every_ledger_entry(
    http: httpx.Client, server: LiveServer, people: Iterator[str]
) -> None:
    subject = next(people)
    app = new_app(http, server)
    disclosed(http, server, subject, app, ["name", "current_city"])
    created = ask(http, server, subject, type="access")
    assert created.status_code == 201, created.text
    request = created.json()
    assert request["id"].startswith("dsr_")
    assert request["status"] == "completed"
    assert request["closed_at"] is not None
    assert [h["status"] for h in request["history"]] == ["received", "completed"]
    assert request["due_at"] > request["received_at"]

    response = http.get("/v1/me/export", headers=server.subject_headers(subject))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    export = response.json()
    assert (
        export["subject"]["name"]
        == server.runtime.source.fetch([subject], ["name"])[subject]["name"]
    )
    kinds = [(d["type"], d["app_id"]) for d in export["disclosures"]]
    assert kinds == [("disclosure", app.id), ("access", "app_platform")]  # recorded first (I2)
    assert export["disclosures"][0]["app_name"] == REGISTRATION["name"]
    assert [r["app_id"] for r in export["recipients"]] == [app.id]  # never the platform
    assert export["recipients"][0]["developer"] == REGISTRATION["developer"]
    assert [r["id"] for r in export["requests"]] == [request["id"]]
    assert len(export["consents"]) == 1
    ledger = server.runtime.stores.ledger.disclosures_of(subject)
    assert [d["index"] for d in export["disclosures"]] == [d.index for d in ledger.items[:2]]

    archive = http.get(
        "/v1/me/export", params={"format": "csv"}, headers=server.subject_headers(subject)
    )
    assert archive.status_code == 200
    assert archive.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.content)) as zipped:
        names = set(zipped.namelist())
        assert names == {
            "subject.csv",
            "consents.csv",
            "disclosures.csv",
            "recipients.csv",
            "requests.csv",
            "checkpoint.csv",
        }
        # parsed as CSV: a covered row's checkpoint note spans several lines, and whether the
        # integrator signed one before the export is a matter of timing
        rows = list(csv.reader(io.StringIO(zipped.read("disclosures.csv").decode())))
    assert len(rows) == 1 + 3  # header, the disclosure, both exports


def test_restriction_applies_to_the_next_read_notifies_and_is_lifted(
    http: httpx.Client, server: LiveServer, people: Iterator[str]
) -> None:
    subject = next(people)
    with WebhookReceiver() as receiver:
        app = new_app(http, server, receiver)
        disclosed(http, server, subject, app, ["name"])
        created = ask(http, server, subject, type="restriction", ground="accuracy_contested")
        assert created.status_code == 201, created.text
        request = created.json()
        assert request["status"] == "in_progress"
        assert request["details"] == {"ground": "accuracy_contested"}
        [recipient] = request["recipients"]
        assert (recipient["app_id"], recipient["fields"]) == (app.id, ["name"])
        denied = read(http, server, app, subject, "name")
        assert denied.status_code == 403
        assert denied.json()["error"]["code"] == "SUBJECT_RESTRICTED"
        again = ask(http, server, subject, type="restriction", ground="unlawful")
        assert again.status_code == 409

        server.runtime.dispatcher.flush()
        assert receiver.rejected == 0
        [body] = receiver.received
        assert body["type"] == "notice"
        assert body["notice"]["type"] == "restriction"
        assert body["notice"]["subject"] == server.runtime.sealer.scoped_id(app.id, subject)
        assert receiver.ids == [recipient["notice_id"]]

        lifted = http.delete("/v1/me/restriction", headers=server.subject_headers(subject))
        assert lifted.status_code == 204
        assert read(http, server, app, subject, "name").status_code == 200
        final = http.get(
            f"/v1/me/requests/{request['id']}", headers=server.subject_headers(subject)
        ).json()
        assert final["status"] == "completed"
        assert final["recipients"][0]["notified_at"] is not None
        assert (
            http.delete("/v1/me/restriction", headers=server.subject_headers(subject)).status_code
            == 409
        )


def test_objection_refuses_reads_and_new_consents_for_its_purposes_until_withdrawn(
    http: httpx.Client, server: LiveServer, people: Iterator[str]
) -> None:
    subject = next(people)
    app = new_app(http, server)
    disclosed(http, server, subject, app, ["name"])
    created = ask(http, server, subject, type="objection", purposes=["academic_research"])
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "in_progress"
    assert read(http, server, app, subject, "name").json()["error"]["code"] == "OBJECTION"
    refused = consent(http, server, subject, app, ["birthday"])
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "OBJECTION"
    assert consent(http, server, subject, app, ["name"], purpose="analytics").status_code == 201
    assert read(http, server, app, subject, "name", purpose="analytics").status_code == 200

    withdrawn = http.delete(
        "/v1/me/objections/academic_research", headers=server.subject_headers(subject)
    )
    assert withdrawn.status_code == 204
    assert read(http, server, app, subject, "name").status_code == 200
    assert consent(http, server, subject, app, ["birthday"]).status_code == 201
    mine = http.get("/v1/me/requests", headers=server.subject_headers(subject)).json()
    assert [r["status"] for r in mine["data"]] == ["completed"]


def test_rectification_corrects_the_source_and_notifies_recipients_of_a_changed_field(
    http: httpx.Client, server: LiveServer, people: Iterator[str]
) -> None:
    subject = next(people)
    city_app, name_app = new_app(http, server), new_app(http, server)
    disclosed(http, server, subject, city_app, ["current_city"])
    disclosed(http, server, subject, name_app, ["name"])
    created = ask(http, server, subject, type="rectification", changes={"current_city": "Bonn"})
    assert created.status_code == 201, created.text
    request = created.json()
    assert request["status"] == "completed"
    assert request["details"] == {"fields": ["current_city"]}
    assert "Bonn" not in created.text  # the request keeps field names only
    assert [(r["app_id"], r["fields"]) for r in request["recipients"]] == [
        (city_app.id, ["current_city"])
    ]
    assert read(http, server, city_app, subject, "current_city").json()["data"] == {
        "current_city": "Bonn"
    }
    notices = http.get("/v1/app/notices", headers=city_app.headers).json()["data"]
    assert [(n["type"], n["fields"], n["acknowledged_at"]) for n in notices] == [
        ("rectification", ["current_city"], None)
    ]
    assert http.get("/v1/app/notices", headers=name_app.headers).json()["data"] == []
    refused = ask(http, server, subject, type="rectification", changes={"page_likes": "x"})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "FIELD_NOT_RECTIFIABLE"


def test_erasure_notifies_each_recipient_erases_and_completes_on_the_last_ack(
    http: httpx.Client, server: LiveServer, people: Iterator[str]
) -> None:
    subject = next(people)
    with WebhookReceiver() as one, WebhookReceiver() as two:
        first, second = new_app(http, server, one), new_app(http, server, two)
        bystander = new_app(http, server)
        disclosed(http, server, subject, first, ["name", "birthday"])
        disclosed(http, server, subject, second, ["current_city"])
        assert consent(http, server, subject, bystander, ["name"]).status_code == 201  # no read
        created = ask(http, server, subject, type="erasure")
        assert created.status_code == 201, created.text
        request = created.json()
        assert request["status"] == "in_progress"
        notes = [h["note"] for h in request["history"]]
        assert any("consents withdrawn" in n for n in notes)
        assert any("notices written to 2 recipients" in n for n in notes)
        assert any("erased at the source" in n for n in notes)
        assert any("ledger key shredded" in n for n in notes)
        assert sorted(r["app_id"] for r in request["recipients"]) == sorted([first.id, second.id])

        assert read(http, server, first, subject, "name").json()["error"]["code"] == "NO_CONSENT"
        assert server.runtime.source.attributes([subject]) == {}
        assert http.get("/v1/me/export", headers=server.subject_headers(subject)).status_code == 404
        server.runtime.dispatcher.flush()
        by_app = {r["app_id"]: r["notice_id"] for r in request["recipients"]}
        assert (one.ids, two.ids) == ([by_app[first.id]], [by_app[second.id]])
        assert one.rejected == two.rejected == 0
        assert one.received[0]["notice"]["fields"] == ["birthday", "name"]  # names, no values

        for app in (first, second):
            [notice] = http.get(
                "/v1/app/notices", params={"status": "pending"}, headers=app.headers
            ).json()["data"]
            assert (
                http.post(f"/v1/app/notices/{notice['id']}/ack", headers=app.headers).status_code
                == 204
            )
            # another app's notice is not found
            other = second if app is first else first
            assert (
                http.post(f"/v1/app/notices/{notice['id']}/ack", headers=other.headers).status_code
                == 404
            )
        server.runtime.dispatcher.flush()
        assert len(one.ids) == len(two.ids) == 1  # nothing is sent again after an ack
        shown = http.get(f"/v1/requests/{request['id']}", headers=server.operator_headers).json()
        assert shown["status"] == "completed"
        assert shown["subject_id"] == subject
        assert all(r["acknowledged_at"] for r in shown["recipients"])
    verifier = stored_verifier(server.runtime.db, origin=server.runtime.settings.ledger_origin)
    assert verifier is not None
    result = check_database(server.runtime.db, verifier)
    assert result.ok, result.line()  # ledger verify still passes after the erasure


def test_operator_requests_queue_extend_reject_and_lift(
    http: httpx.Client, server: LiveServer, people: Iterator[str]
) -> None:
    subject, other = next(people), next(people)
    dpo = create_operator_key(server.runtime.stores.operators, role=Role.DPO, label="dpo")
    auditor = create_operator_key(server.runtime.stores.operators, role=Role.AUDITOR, label="a")
    dpo_headers = {"Authorization": f"Bearer {dpo}"}
    body = {
        "type": "restriction",
        "ground": "legal_claims",
        "subject_id": subject,
        "verified_by": "passport checked at the desk",
    }
    denied = http.post("/v1/requests", json=body, headers={"Authorization": f"Bearer {auditor}"})
    assert denied.status_code == 403
    created = http.post("/v1/requests", json=body, headers=dpo_headers)
    assert created.status_code == 201, created.text
    request = created.json()
    assert request["verified_by"] == "passport checked at the desk"
    assert request["history"][0]["actor"].startswith("operator:op_")

    extended = http.post(
        f"/v1/requests/{request['id']}/extend",
        json={"months": 2, "reason": "many requests at once"},
        headers=dpo_headers,
    )
    assert extended.status_code == 200, extended.text
    assert extended.json()["extended_due_at"] > request["due_at"]
    twice = http.post(
        f"/v1/requests/{request['id']}/extend",
        json={"months": 1, "reason": "x"},
        headers=dpo_headers,
    )
    assert twice.status_code == 409

    queue = http.get(
        "/v1/requests",
        params={"status": "in_progress", "type": "restriction"},
        headers={"Authorization": f"Bearer {auditor}"},
    )
    assert queue.status_code == 200
    assert request["id"] in [r["id"] for r in queue.json()["data"]]
    overdue = http.get("/v1/requests", params={"overdue": "true"}, headers=dpo_headers).json()
    assert request["id"] not in [r["id"] for r in overdue["data"]]

    lifted = http.post(f"/v1/requests/{request['id']}/lift", headers=dpo_headers)
    assert lifted.status_code == 200, lifted.text
    assert lifted.json()["status"] == "completed"
    assert lifted.json()["history"][-1]["actor"] == request["history"][0]["actor"]

    objection = http.post(
        "/v1/requests",
        json={
            "type": "objection",
            "purposes": ["analytics"],
            "subject_id": other,
            "verified_by": "call",
        },
        headers=dpo_headers,
    ).json()
    rejected = http.post(
        f"/v1/requests/{objection['id']}/reject",
        json={"reason": "manifestly unfounded (Art. 12(5))"},
        headers=dpo_headers,
    )
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["rejection_reason"].startswith("manifestly")
    assert server.runtime.stores.subjects.get(other).objections == {}
    # someone else's request is not found for a subject
    assert (
        http.get(
            f"/v1/me/requests/{objection['id']}", headers=server.subject_headers(subject)
        ).status_code
        == 404
    )


def test_capabilities_report_what_the_source_can_write(http: httpx.Client) -> None:
    body = http.get("/v1/rights/capabilities").json()
    assert body["source"] == {"rectify": True, "erase": True}
    assert "erasure" in body["types"]
    assert "name" in body["rectifiable_fields"]
    assert "page_likes" not in body["rectifiable_fields"]


BAD_SUBJECT_BODIES: list[Any] = [
    {},
    {"type": "nonsense"},
    {"type": "access", "extra": 1},
    {"type": "objection"},
    {"type": "objection", "purposes": []},
    {"type": "objection", "purposes": ["no_such_purpose"]},
    {"type": "restriction", "ground": "because"},
    {"type": "rectification", "changes": {}},
    {"type": "rectification", "changes": {"no_such_field": "x"}},
    {"type": "rectification", "changes": {"birthday": "tomorrow"}},
    {"type": "rectification", "changes": {"name": 7}},
    {"type": "rectification", "changes": {"friends": "x"}},
    {"type": 1},
    [],
    "access",
    None,
]


@pytest.mark.parametrize("body", BAD_SUBJECT_BODIES)
def test_bad_input_is_a_4xx_envelope_and_creates_no_request(
    http: httpx.Client, server: LiveServer, people: Iterator[str], body: Any
) -> None:
    subject = next(people)
    response = http.post("/v1/me/requests", headers=server.subject_headers(subject), json=body)
    assert 400 <= response.status_code < 500, response.text
    assert set(response.json()["error"]) == {"code", "message", "status"}
    assert server.runtime.rights.page(subject_id=subject) == []


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("get", "/v1/me/requests?limit=0", {}),
        ("get", "/v1/me/requests?cursor=nope", {}),
        ("get", "/v1/me/requests?unknown=1", {}),
        ("get", "/v1/me/requests/dsr_missing", {}),
        ("get", "/v1/me/export?format=xml", {}),
        ("delete", "/v1/me/objections/no_such_purpose", {}),
        ("delete", "/v1/me/objections/analytics", {}),
        ("delete", "/v1/me/restriction", {}),
        ("get", "/v1/requests?status=done", {"operator": True}),
        ("get", "/v1/requests?overdue=yes", {"operator": True}),
        ("get", "/v1/requests/dsr_missing", {"operator": True}),
        ("post", "/v1/requests", {"operator": True, "json": {"type": "access"}}),
        (
            "post",
            "/v1/requests",
            {
                "operator": True,
                "json": {"type": "access", "subject_id": "no-such-person", "verified_by": "x"},
            },
        ),
        (
            "post",
            "/v1/requests/dsr_missing/extend",
            {"operator": True, "json": {"months": 1, "reason": "r"}},
        ),
        ("post", "/v1/requests/dsr_missing/reject", {"operator": True, "json": {}}),
        ("post", "/v1/requests/dsr_missing/lift", {"operator": True}),
        ("get", "/v1/app/notices?status=all", {"app": True}),
        ("post", "/v1/app/notices/ntc_missing/ack", {"app": True}),
        ("get", "/v1/me/requests", {"anonymous": True}),
        ("get", "/v1/requests", {"anonymous": True}),
        ("get", "/v1/app/notices", {"anonymous": True}),
    ],
)
def test_bad_input_on_every_new_route_is_a_4xx_envelope(
    http: httpx.Client,
    server: LiveServer,
    people: Iterator[str],
    method: str,
    path: str,
    kwargs: dict[str, Any],
) -> None:
    kwargs = dict(kwargs)  # the parameters are shared by both servers' runs
    subject = next(people)
    before = len(server.runtime.rights.page(limit=1000))
    headers = server.subject_headers(subject)
    if kwargs.pop("operator", False):
        headers = server.operator_headers
    if kwargs.pop("app", False):
        headers = new_app(http, server).headers
    if kwargs.pop("anonymous", False):
        headers = {}
    response = http.request(method, path, headers=headers, **kwargs)
    assert 400 <= response.status_code < 500, response.text
    assert set(response.json()["error"]) == {"code", "message", "status"}
    assert len(server.runtime.rights.page(limit=1000)) == before


def test_a_read_only_source_refuses_rectification_and_erasure(tmp_path: Path) -> None:
    """A source without write statements says so, and such requests are refused (never a
    silent success): 409 SOURCE_READ_ONLY, no request."""
    from consentgate.sources import SqlSource

    with start_server(tmp_path, notice_poll_ms=60_000) as live:
        source = live.runtime.source
        assert isinstance(source, SqlSource)
        live.runtime.rights.source = SqlSource(
            source.engine, source.mapping, catalog=live.runtime.catalog
        )
        with client_of(live) as client:
            assert client.get("/v1/rights/capabilities").json()["source"] == {
                "rectify": False,
                "erase": False,
            }
            for body in ({"type": "erasure"}, {"type": "rectification", "changes": {"name": "A"}}):
                response = client.post(
                    "/v1/me/requests", headers=live.subject_headers("1"), json=body
                )
                assert response.status_code == 409
                assert response.json()["error"]["code"] == "SOURCE_READ_ONLY"
        assert live.runtime.rights.page() == []
