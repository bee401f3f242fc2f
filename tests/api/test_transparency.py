"""The political transparency register end to end, on a real server whose clock is inside
the 2019 election window (the demo clock) and whose public ledger shows hashes only: the
register's shape, JSON and CSV, null cells, paging; a recount (the CLI) agrees — and fails,
exit 3, when a count, a leaf in transit, a stored leaf or the named checkpoint is
tampered with; bad input on every new route is a 4xx envelope."""

from __future__ import annotations

import base64
import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from consentgate.catalog import POLITICAL_PURPOSE
from consentgate.cli import app as cli
from consentgate.clock import age_on, utc_now, ymd
from consentgate.consent import ConsentPolicy, grant_consent
from consentgate.ledger import Leaf
from consentgate.ledger.checkpoint import Checkpoint
from consentgate.ledger.merkle import leaf_hash
from consentgate.ledger.verify import verify_published
from consentgate.operators import Role, create_operator_key
from consentgate.storage.tables import ledger_leaves
from consentgate.transparency import Reach, publish, recount_register
from consentgate.transparency.export import CSV_COLUMNS
from tests.support import LiveApp, LiveServer, assert_envelope, make_live_app, start_server

DEMO_CLOCK = datetime(2019, 4, 15, 9, 0, tzinfo=UTC)
GRANTED = datetime(2019, 2, 1, 9, 0, tzinfo=UTC)  # before the window opened
FIELDS = ["name", "current_city", "political_views"]
REGISTER = "/v1/transparency/political"


@dataclass
class Campaign:
    server: LiveServer
    http: httpx.Client
    eu_app: str
    offshore_app: str
    reached: dict[str, int]  # people read per country by the EU app
    auditor_key: str

    @property
    def base_url(self) -> str:
        return self.server.base_url


def _register_app(
    http: httpx.Client, server: LiveServer, name: str, developer_country: str
) -> LiveApp:
    body = {
        "name": name,
        "developer": {
            "name": f"{name} Ltd",
            "email": "dev@x.example",
            "country": developer_country,
        },
        "purposes": [POLITICAL_PURPOSE],
        "fields": dict.fromkeys(FIELDS, "the campaign"),
        "retention_days": 30,
        "privacy_policy_url": "https://x.example/privacy",
        "sponsor": {"name": f"{name} Party", "country": developer_country},
        "funding_statement": "Paid for by the members.",
    }
    app = make_live_app(http, server, registration=body)
    shown = http.get(f"/v1/apps/{app.id}", headers=server.operator_headers).json()
    assert shown["sponsor"] == body["sponsor"]
    assert shown["funding_statement"] == "Paid for by the members."
    return app


def _voters_by_country(server: LiveServer) -> dict[str, list[str]]:
    """Adults of 2019 in countries whose window is open on the demo day."""
    runtime = server.runtime
    day = DEMO_CLOCK.date()
    found: dict[str, list[str]] = {}
    for s in runtime.source.attributes([str(i) for i in range(1, 401)]).values():
        voting_age = runtime.catalog.election_voting_age(s.country, ymd(day))
        if voting_age is None or s.birth_date is None or s.birth_date > GRANTED.date():
            continue
        if age_on(s.birth_date, GRANTED.date()) >= 18 and age_on(s.birth_date, day) >= voting_age:
            found.setdefault(s.country or "", []).append(s.id)
    return found


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Campaign]:
    with start_server(
        tmp_path_factory.mktemp("register"),
        demo=True,
        demo_clock=DEMO_CLOCK,
        transparency_period_seconds=0,
        detect=False,
    ) as server:
        assert utc_now().date() == DEMO_CLOCK.date()  # the demo clock is on
        runtime = server.runtime
        with httpx.Client(base_url=server.base_url, timeout=30) as http:
            eu = _register_app(http, server, "Vote Together", "IE")
            offshore = _register_app(http, server, "Offshore Outreach", "US")
            voters = _voters_by_country(server)
            big = sorted(voters, key=lambda c: (-len(voters[c]), c))
            plan = {big[0]: 12, big[1]: 11, big[2]: 3}
            assert all(len(voters[c]) >= n for c, n in plan.items()), voters
            for country, count in plan.items():
                for subject in voters[country][:count]:
                    for app_id in (eu.id, offshore.id):
                        grant_consent(
                            runtime.stores.consents,
                            apps=runtime.stores.apps,
                            catalog=runtime.catalog,
                            source=runtime.source,
                            signer=runtime.signer,
                            subject_id=subject,
                            request={
                                "app_id": app_id,
                                "purpose": POLITICAL_PURPOSE,
                                "fields": FIELDS,
                                "explicit": True,
                            },
                            policy=ConsentPolicy(ttl_days=180),
                            now=GRANTED,
                        )
                    for app, expected in ((eu, 200), (offshore, 403)):
                        scoped = runtime.sealer.scoped_id(app.id, subject)
                        response = http.get(
                            f"/v1/subjects/{scoped}",
                            headers=app.headers,
                            params={"fields": ",".join(FIELDS), "purpose": POLITICAL_PURPOSE},
                        )
                        assert response.status_code == expected, response.text
                        if expected == 200:
                            body = response.json()
                            assert set(body["data"]) == {"name", "current_city"}
                            assert body["withheld"] == {"political_views": "ELECTION_SAFEGUARD"}
                        else:
                            assert response.json()["error"]["code"] == "ELECTION_SAFEGUARD"
            runtime.integrator.flush()
            auditor = create_operator_key(runtime.stores.operators, role=Role.AUDITOR)
            yield Campaign(server, http, eu.id, offshore.id, plan, auditor)
    assert utc_now().year > 2019  # closing the runtime put the clock back


def _entries(register: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["app_id"]: e for e in register["data"]}


def test_the_register_has_the_contracts_shape_and_counts(campaign: Campaign) -> None:
    response = campaign.http.get(REGISTER)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"data", "checkpoint", "min_cell_size", "paging"}
    assert body["min_cell_size"] == 10
    assert body["paging"] == {"next": None}
    latest = Checkpoint.parse(
        campaign.http.get("/v1/ledger/checkpoint").text.split("\n\n")[0] + "\n"
    )
    assert body["checkpoint"] == {"size": latest.size, "root": latest.root.hex()}
    entries = _entries(body)
    assert set(entries) >= {campaign.eu_app, campaign.offshore_app}
    eu = entries[campaign.eu_app]
    assert set(eu) == {
        "app_id", "name", "developer", "sponsor", "purposes", "fields", "countries", "people",
    }  # fmt: skip
    assert eu["developer"] == {"name": "Vote Together Ltd", "country": "IE"}  # no email
    assert eu["sponsor"] == {"name": "Vote Together Party", "country": "IE"}
    assert eu["purposes"] == [POLITICAL_PURPOSE]
    assert eu["fields"] == FIELDS
    exact = Reach(sum(campaign.reached.values()), dict(sorted(campaign.reached.items())))
    expected = publish(exact)
    assert (eu["people"], eu["countries"]) == (expected.people, expected.countries)
    assert eu["people"] == 26
    small = min(campaign.reached, key=campaign.reached.__getitem__)
    assert eu["countries"][small] is None  # three people: never shown
    assert sum(v is None for v in eu["countries"].values()) == 2  # and one more to cover it
    offshore = entries[campaign.offshore_app]
    assert (offshore["people"], offshore["countries"]) == (None, {})  # refused every read
    assert "ps1:" not in response.text


def test_the_register_as_csv(campaign: Campaign) -> None:
    response = campaign.http.get(REGISTER, params={"format": "csv"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == list(CSV_COLUMNS)
    eu = [r for r in rows if r["app_id"] == campaign.eu_app]
    assert eu[0]["country"] == "ALL"
    assert eu[0]["people"] == "26"
    assert {r["country"] for r in eu[1:]} == set(campaign.reached)
    assert sum(r["people"] == "" for r in eu[1:]) == 2
    offshore = [r for r in rows if r["app_id"] == campaign.offshore_app]
    assert [(r["country"], r["people"]) for r in offshore] == [("ALL", "")]


def test_pages_keep_their_checkpoint(campaign: Campaign) -> None:
    first = campaign.http.get(REGISTER, params={"limit": 1}).json()
    assert len(first["data"]) == 1
    cursor = first["paging"]["next"]
    assert cursor is not None
    second = campaign.http.get(REGISTER, params={"limit": 1, "cursor": cursor}).json()
    assert second["checkpoint"] == first["checkpoint"]
    assert second["data"][0]["app_id"] > first["data"][0]["app_id"]
    as_csv = campaign.http.get(REGISTER, params={"limit": 1, "format": "csv"})
    assert 'rel="next"' in as_csv.headers["link"]


@pytest.mark.parametrize(
    "query",
    [
        "format=xml",
        "format=",
        "limit=0",
        "limit=1001",
        "limit=ten",
        "cursor=not-a-cursor",
        "cursor=" + "A" * 600,
        "format=json&format=csv",
        "page=2",
        "limit=1&limit=2",
        "cursor=%FF%FE",
    ],
)
def test_bad_register_queries_are_400_envelopes(campaign: Campaign, query: str) -> None:
    assert_envelope(campaign.http.get(f"{REGISTER}?{query}"), 400)


def test_a_cursor_of_another_list_is_refused(campaign: Campaign) -> None:
    apps = campaign.http.get(
        "/v1/apps", params={"limit": 1}, headers=campaign.server.operator_headers
    ).json()
    assert_envelope(campaign.http.get(REGISTER, params={"cursor": apps["paging"]["next"]}), 400)
    forged = campaign.server.runtime.sealer.cursor("transparency:political", "12345:app_x")
    assert_envelope(
        campaign.http.get(REGISTER, params={"cursor": forged}), 400
    )  # no such checkpoint


def test_political_registration_without_sponsor_or_funding_is_400(campaign: Campaign) -> None:
    body = {
        "name": "No Sponsor",
        "developer": {"name": "D", "email": "d@x.example", "country": "IE"},
        "purposes": [POLITICAL_PURPOSE],
        "fields": {"name": "greet"},
        "retention_days": 30,
        "privacy_policy_url": "https://x.example/privacy",
    }
    headers = campaign.server.operator_headers
    assert_envelope(campaign.http.post("/v1/apps", json=body, headers=headers), 400)
    sponsored = body | {"sponsor": {"name": "P", "country": "IE"}}
    assert_envelope(campaign.http.post("/v1/apps", json=sponsored, headers=headers), 400)
    wrong = sponsored | {"funding_statement": "x", "sponsor": {"name": "P", "country": "eire"}}
    assert_envelope(campaign.http.post("/v1/apps", json=wrong, headers=headers), 400)
    other = sponsored | {"purposes": ["analytics"], "funding_statement": "x"}
    assert_envelope(campaign.http.post("/v1/apps", json=other, headers=headers), 400)


def test_public_leaves_show_hashes_and_operators_get_the_bytes(campaign: Campaign) -> None:
    public = campaign.http.get("/v1/ledger/leaves", params={"start": 0, "end": 5}).json()
    assert public["leaves"]
    assert all(set(item) == {"index", "hash"} for item in public["leaves"])
    auditor = {"Authorization": f"Bearer {campaign.auditor_key}"}
    seen = campaign.http.get(
        "/v1/ledger/leaves", params={"start": 0, "end": 5}, headers=auditor
    ).json()
    for item, shown in zip(seen["leaves"], public["leaves"], strict=True):
        data = base64.b64decode(item["leaf"])
        assert item["hash"] == shown["hash"] == leaf_hash(data).hex()
        leaf = Leaf.decode(data)
        assert (leaf.version, leaf.app) == (2, campaign.eu_app)
        assert leaf.cc in campaign.reached  # the person's country when read
    for bad in ("Bearer cgop_not-a-key", "Bearer " + "x" * 40, "Basic abc"):
        assert_envelope(
            campaign.http.get(
                "/v1/ledger/leaves", params={"start": 0, "end": 1}, headers={"Authorization": bad}
            ),
            401,
        )


def _recount(campaign: Campaign, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["transparency", "recount", "--url", campaign.base_url, *args])
    return result.exit_code, result.output


def test_a_recount_agrees(campaign: Campaign) -> None:
    code, output = _recount(campaign, "--operator-key", campaign.auditor_key)
    assert code == 0, output
    assert output.startswith("OK size=")
    code, output = _recount(campaign, "--operator-key", campaign.auditor_key, "--json")
    assert code == 0, output
    report = json.loads(output)
    assert report["ok"] is True
    assert report["problems"] == []
    assert {a["app_id"] for a in report["apps"]} >= {campaign.eu_app, campaign.offshore_app}
    assert all(a["agrees"] for a in report["apps"])


def test_without_the_leaf_bytes_there_is_nothing_to_count(campaign: Campaign) -> None:
    code, output = _recount(campaign)
    assert code == 3
    assert "--operator-key" in output.splitlines()[0]


class Tampering(httpx.BaseTransport):
    """Between the recount and the real server: ``edit`` may change any JSON answer."""

    def __init__(self, edit: Callable[[str, dict[str, Any]], None]) -> None:
        self.inner = httpx.HTTPTransport()
        self.edit = edit

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        try:
            content = response.read()
        finally:
            response.close()
        if not response.headers.get("content-type", "").startswith("application/json"):
            return httpx.Response(response.status_code, headers=response.headers, content=content)
        body = json.loads(content)
        self.edit(request.url.path, body)
        return httpx.Response(response.status_code, json=body)

    def close(self) -> None:
        self.inner.close()


def _recount_through(campaign: Campaign, edit: Callable[[str, dict[str, Any]], None]) -> Any:
    with httpx.Client(base_url=campaign.base_url, transport=Tampering(edit)) as client:
        return recount_register(client, operator_key=campaign.auditor_key)


def test_a_tampered_count_fails_the_recount(campaign: Campaign) -> None:
    assert _recount_through(campaign, lambda path, body: None).ok

    def inflate(path: str, body: dict[str, Any]) -> None:
        if path == REGISTER:
            for entry in body["data"]:
                if entry["app_id"] == campaign.eu_app:
                    entry["people"] += 1

    result = _recount_through(campaign, inflate)
    assert not result.ok
    assert campaign.eu_app in result.problems[0]

    def hide_an_app(path: str, body: dict[str, Any]) -> None:
        if path == REGISTER:
            body["data"] = [e for e in body["data"] if e["app_id"] != campaign.eu_app]

    result = _recount_through(campaign, hide_an_app)
    assert not result.ok
    assert "not in the register" in result.problems[0]

    def smaller_cells(path: str, body: dict[str, Any]) -> None:
        if path == REGISTER:
            body["min_cell_size"] = 2

    assert "min_cell_size" in _recount_through(campaign, smaller_cells).problems[0]


def test_a_leaf_changed_in_transit_fails_the_recount(campaign: Campaign) -> None:
    def move_a_person(path: str, body: dict[str, Any]) -> None:
        if path == "/v1/ledger/leaves" and body["leaves"]:
            item = body["leaves"][0]
            data = base64.b64decode(item["leaf"])
            leaf = Leaf.decode(data)
            other = "MT" if leaf.cc != "MT" else "CY"
            edited = data.replace(f'"cc":"{leaf.cc}"'.encode(), f'"cc":"{other}"'.encode())
            item["leaf"] = base64.b64encode(edited).decode()
            item["hash"] = leaf_hash(edited).hex()  # a careful forger

    result = _recount_through(campaign, move_a_person)
    assert not result.ok
    assert "do not hash to the register's checkpoint root" in result.problems[0]

    def another_root(path: str, body: dict[str, Any]) -> None:
        if path == REGISTER:
            body["checkpoint"]["root"] = "00" * 32

    result = _recount_through(campaign, another_root)
    assert not result.ok
    assert "checkpoint" in result.problems[0]


def test_a_stored_leaf_edited_fails_the_recount(campaign: Campaign, tmp_path: Path) -> None:
    engine = campaign.server.runtime.engine
    with engine.connect() as connection:
        original = bytes(
            connection.execute(
                select(ledger_leaves.c.data).where(ledger_leaves.c.idx == 0)
            ).scalar_one()
        )
    leaf = Leaf.decode(original)
    edited = original.replace(f'"cc":"{leaf.cc}"'.encode(), b'"cc":"LU"')
    assert edited != original
    try:
        with engine.begin() as connection:
            connection.execute(
                update(ledger_leaves).where(ledger_leaves.c.idx == 0).values(data=edited)
            )
        code, output = _recount(campaign, "--operator-key", campaign.auditor_key)
        assert code == 3, output
        assert output.startswith("FAIL")
    finally:
        with engine.begin() as connection:
            connection.execute(
                update(ledger_leaves).where(ledger_leaves.c.idx == 0).values(data=original)
            )
    assert _recount(campaign, "--operator-key", campaign.auditor_key)[0] == 0


def test_the_log_verifies_from_hashes_alone(campaign: Campaign) -> None:
    result = CliRunner().invoke(cli, ["ledger", "verify", "--url", campaign.base_url])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK size=")

    def another_hash(path: str, body: dict[str, Any]) -> None:
        if path == "/v1/ledger/leaves" and body["leaves"]:
            body["leaves"][0]["hash"] = "00" * 32

    with httpx.Client(base_url=campaign.base_url, transport=Tampering(another_hash)) as client:
        assert not verify_published(client).ok
