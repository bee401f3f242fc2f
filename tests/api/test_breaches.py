"""Breaches and the records of processing over real HTTP: a manual breach discovered 80
hours ago needs a late reason; the report in JSON and Markdown names the configured
controller and DPO; the affected people with their notices are for the DPO only; the
records of processing come from configuration and the ledger; bad input on every new route
is a 4xx envelope, never a 500, and creates nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from consentgate.clock import rfc3339, utc_now
from consentgate.operators import Role, create_operator_key
from tests.support import LiveApp, LiveServer, assert_envelope, make_live_app, start_server

PURPOSE = "academic_research"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with start_server(
        tmp_path_factory.mktemp("breaches"),
        detect=False,
        dpo_name="Dana Officer",
        dpo_email="dana@platform.example",
        controller_name="Example Platform Ltd",
        lead_authority="IE",
        annual_turnover_eur=2_000_000_000,
    ) as live:
        yield live


@pytest.fixture(scope="module")
def http(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def keys(server: LiveServer) -> dict[str, dict[str, str]]:
    operators = server.runtime.stores.operators
    return {
        role.value: {"Authorization": f"Bearer {create_operator_key(operators, role=role)}"}
        for role in (Role.DPO, Role.AUDITOR)
    }


def _adults(server: LiveServer, count: int, skip: int) -> list[str]:
    today = utc_now().date()
    catalog = server.runtime.catalog
    found = []
    for s in server.runtime.source.attributes([str(i) for i in range(1, 401)]).values():
        assert s.birth_date is not None
        years = today.year - s.birth_date.year - 1
        if years >= catalog.age_of_consent(s.country):
            found.append(s.id)
    return found[skip : skip + count]


def _consented_reads(
    http: httpx.Client, server: LiveServer, app: LiveApp, people: list[str], fields: list[str]
) -> None:
    for person in people:
        granted = http.post(
            "/v1/me/consents",
            headers=server.subject_headers(person),
            json={"app_id": app.id, "purpose": PURPOSE, "fields": fields},
        )
        assert granted.status_code == 201, granted.text
        scoped = server.runtime.sealer.scoped_id(app.id, person)
        got = http.get(
            f"/v1/subjects/{scoped}",
            headers=app.headers,
            params={"fields": ",".join(fields), "purpose": PURPOSE},
        )
        assert got.status_code == 200, got.text


@pytest.fixture(scope="module")
def exposed(http: httpx.Client, server: LiveServer) -> tuple[LiveApp, list[str]]:
    app = make_live_app(http, server, fields=["name", "birthday", "religion"])
    people = _adults(server, 3, skip=0)
    _consented_reads(http, server, app, people, ["name", "birthday"])
    return app, people


def _open(http: httpx.Client, server: LiveServer, app: LiveApp, **extra: Any) -> httpx.Response:
    now = datetime.now(UTC)
    body = {
        "app_id": app.id,
        "window_start": rfc3339(now - timedelta(hours=90)),
        "discovered_at": rfc3339(now - timedelta(hours=80)),
        "description": "the app's developer reported a stolen database dump",
    } | extra
    return http.post("/v1/breaches", json=body, headers=server.operator_headers)


def test_a_manual_breach_discovered_80_hours_ago_needs_a_late_reason(
    http: httpx.Client,
    server: LiveServer,
    exposed: tuple[LiveApp, list[str]],
    keys: dict[str, dict[str, str]],
) -> None:
    app, people = exposed
    opened = _open(http, server, app)
    assert opened.status_code == 201, opened.text
    breach = opened.json()
    assert breach["id"].startswith("brc_")
    assert breach["status"] == "assessing"
    assert breach["opened_by"].startswith("operator:")
    assert breach["scope"]["subjects"] == 3
    assert breach["scope"]["records"] == 3
    assert breach["scope"]["by_field"] == {"birthday": 3, "name": 3}
    assert breach["clock"]["overdue"] is True
    assert breach["exposure"] == breach["exposure"] | {"article": "83(4)", "max_eur": 40_000_000}

    path = f"/v1/breaches/{breach['id']}"
    late = http.post(
        f"{path}/notify", json={"authority": "IE DPC", "reference": "BN-80"}, headers=keys["dpo"]
    )
    assert late.status_code == 400
    assert "late_reason" in late.json()["error"]["message"]
    assert http.get(path, headers=keys["auditor"]).json()["status"] == "assessing"

    notified = http.post(
        f"{path}/notify",
        json={"authority": "IE DPC", "reference": "BN-80", "late_reason": "logs arrived late"},
        headers=keys["dpo"],
    )
    assert notified.status_code == 200, notified.text
    shown = notified.json()
    assert shown["status"] == "notified"
    assert shown["late_reason"] == "logs arrived late"
    assert [step["event"] for step in shown["history"]] == ["opened", "notified"]
    assert shown["history"][1]["actor"].startswith("operator:op_")

    report = http.get(f"{path}/report", headers=keys["auditor"])
    assert report.status_code == 200
    document = report.json()
    assert document["dpo"] == {"name": "Dana Officer", "email": "dana@platform.example"}
    assert document["controller"]["name"] == "Example Platform Ltd"
    assert document["nature"]["subjects"] == 3
    assert document["addressed_to"]["country"] == "IE"
    markdown = http.get(f"{path}/report", params={"format": "md"}, headers=keys["auditor"])
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert "## (a) Nature of the breach" in markdown.text
    assert "logs arrived late" in markdown.text

    assert http.get(f"{path}/subjects", headers=keys["auditor"]).status_code == 403
    listed = http.get(f"{path}/subjects", headers=keys["dpo"], params={"limit": 2})
    assert listed.status_code == 200
    first = listed.json()
    assert len(first["data"]) == 2
    rest = http.get(
        f"{path}/subjects", headers=keys["dpo"], params={"cursor": first["paging"]["next"]}
    ).json()
    ids = [p["subject_id"] for p in first["data"] + rest["data"]]
    assert ids == sorted(people)
    notice = first["data"][0]["notice"]
    assert "birthday and name" in notice
    assert "dana@platform.example" in notice
    assert "religion" not in notice


def test_records_of_processing_from_configuration_and_the_ledger(
    http: httpx.Client,
    server: LiveServer,
    exposed: tuple[LiveApp, list[str]],
    keys: dict[str, dict[str, str]],
) -> None:
    app, _ = exposed
    answer = http.get("/v1/records-of-processing", headers=keys["auditor"])
    assert answer.status_code == 200, answer.text
    register = answer.json()
    rows = {(r["app_id"], r["purpose"]["id"]): r for r in register["data"]}
    row = rows[(app.id, PURPOSE)]
    assert row["fields_disclosed_90d"] == ["birthday", "name"]
    assert row["declared_not_used"] == ["religion"]
    assert row["subjects_90d"] == 3
    assert row["recipient"]["country"] == "GB"
    assert row["recipient"]["third_country"] is True
    assert [c for c in row["data_categories"] if c["special"]] == [
        {"field": "religion", "category": "https://w3id.org/dpv/pd#Religion", "special": True}
    ]
    assert all(r["used_not_declared"] == [] for r in register["data"])  # I1
    csv = http.get("/v1/records-of-processing", params={"format": "csv"}, headers=keys["dpo"])
    assert csv.headers["content-type"].startswith("text/csv")
    header, *lines = csv.text.splitlines()
    assert header.startswith("app_id,app_name,app_status")
    assert any(line.startswith(app.id) and ",religion," in line for line in lines)


BAD_OPENS: list[tuple[str, dict[str, Any] | str, int]] = [
    ("no description", {"description": None}, 400),
    ("empty description", {"description": ""}, 400),
    ("naive time", {"window_start": "2026-11-01T10:00:00"}, 400),
    ("not a time", {"window_start": "yesterday"}, 400),
    ("end before start", {"window_end": "2000-01-01T00:00:00Z"}, 400),
    ("discovered in the future", {"discovered_at": "2999-01-01T00:00:00Z"}, 400),
    ("window in the future", {"window_end": "2999-01-01T00:00:00Z"}, 400),
    ("malicious as a string", {"malicious": "yes"}, 400),
    ("unknown key", {"severity": 1}, 400),
    ("unknown app", {"app_id": "app_nobody"}, 404),
    ("not json", "{not json", 400),
]


def _count(http: httpx.Client, server: LiveServer) -> int:
    listed = http.get("/v1/breaches", params={"limit": 1000}, headers=server.operator_headers)
    return len(listed.json()["data"])


@pytest.mark.parametrize(("case", "change", "status"), BAD_OPENS, ids=[c[0] for c in BAD_OPENS])
def test_a_bad_breach_is_refused_and_nothing_is_opened(
    http: httpx.Client,
    server: LiveServer,
    exposed: tuple[LiveApp, list[str]],
    case: str,
    change: dict[str, Any] | str,
    status: int,
) -> None:
    app, _ = exposed
    before = _count(http, server)
    if isinstance(change, str):
        response = http.post(
            "/v1/breaches",
            content=change,
            headers=server.operator_headers | {"content-type": "application/json"},
        )
    else:
        now = datetime.now(UTC)
        body = {
            "app_id": app.id,
            "window_start": rfc3339(now - timedelta(hours=2)),
            "description": "x",
        } | change
        response = http.post(
            "/v1/breaches",
            json={k: v for k, v in body.items() if v is not None},
            headers=server.operator_headers,
        )
    assert_envelope(response, status)
    assert _count(http, server) == before


def test_bad_input_on_every_other_new_route(
    http: httpx.Client,
    server: LiveServer,
    exposed: tuple[LiveApp, list[str]],
    keys: dict[str, dict[str, str]],
) -> None:
    app, _ = exposed
    breach = _open(http, server, app, discovered_at=rfc3339(datetime.now(UTC))).json()
    path = f"/v1/breaches/{breach['id']}"
    admin = server.operator_headers
    gets = [
        ("/v1/breaches", {"status": "bogus"}, admin, 400),
        ("/v1/breaches", {"limit": "0"}, admin, 400),
        ("/v1/breaches", {"cursor": "garbage"}, admin, 400),
        ("/v1/breaches", {"colour": "red"}, admin, 400),
        ("/v1/breaches", {}, {}, 401),
        ("/v1/breaches/brc_missing", {}, admin, 404),
        (path, {"x": "1"}, admin, 400),
        (f"{path}/report", {"format": "pdf"}, admin, 400),
        ("/v1/breaches/brc_missing/report", {}, admin, 404),
        (f"{path}/subjects", {"cursor": "garbage"}, admin, 400),
        ("/v1/breaches/brc_missing/subjects", {}, admin, 404),
        ("/v1/records-of-processing", {"format": "xml"}, admin, 400),
        ("/v1/records-of-processing", {}, {"Authorization": "Bearer nope"}, 401),
    ]
    for route, params, headers, status in gets:
        assert_envelope(http.get(route, params=params, headers=headers), status)
    posts: list[tuple[str, Any, dict[str, str], int]] = [
        (f"{path}/assess", {"notifiable": "no", "reason": "x"}, keys["dpo"], 400),
        (f"{path}/assess", {"notifiable": False}, keys["dpo"], 400),
        (f"{path}/assess", {"notifiable": False, "reason": "x"}, keys["auditor"], 403),
        ("/v1/breaches/brc_missing/assess", {"notifiable": True, "reason": "x"}, admin, 404),
        (f"{path}/notify", {"authority": "", "reference": "r"}, keys["dpo"], 400),
        (f"{path}/notify", {"authority": "a"}, keys["dpo"], 400),
        (f"{path}/notify", [1, 2], keys["dpo"], 400),
        (f"{path}/close", {"reason": "done"}, keys["dpo"], 409),
        (f"{path}/close", {}, keys["dpo"], 400),
        ("/v1/breaches", {"app_id": app.id}, keys["auditor"], 403),
    ]
    for route, body, headers, status in posts:
        assert_envelope(http.post(route, json=body, headers=headers), status)
    after = http.get(path, headers=admin).json()
    assert after["status"] == "assessing"
    assert [step["event"] for step in after["history"]] == ["opened"]
