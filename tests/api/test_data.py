"""The read path end to end, against a real uvicorn server over real HTTP: in a thread of
the test process, and as ``consentgate serve --workers 2`` — two processes, so a withdrawal
or suspension one of them handles must be refused by the other on the very next request
(I4), and a read is recorded before it leaves whichever answers (I2)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, text

from consentgate.clock import utc_now
from consentgate.consent import ConsentPolicy, grant_consent
from consentgate.ledger.leaves import Leaf
from consentgate.storage.tables import ledger_leaves
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


@pytest.fixture(scope="module", params=[0, 2], ids=["in-thread", "two-workers"])
def live_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """This module's real server: one in this process, or two worker processes."""
    with start_server(tmp_path_factory.mktemp("server"), workers=request.param) as server:
        yield server


@pytest.fixture
def http(live_server: LiveServer) -> Iterator[httpx.Client]:
    """A client opening a connection per request: the kernel hands each to whichever worker
    accepts it first, so consecutive requests land on either process."""
    limits = httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(base_url=live_server.base_url, timeout=30, limits=limits) as client:
        yield client


NEXT_READS = 6  # with two workers, six reads all landing on one process: about 1 run in 32


def test_a_read_releases_only_consented_fields_and_is_recorded_first(
    http: httpx.Client, live_server: LiveServer, live_app: LiveApp
) -> None:
    subject = adults(live_server)[0]
    grant(http, live_server, subject, live_app, ["name", "birthday"])
    [scoped] = scoped_ids(http, live_app)
    response = read(http, live_app, scoped, "name,birthday,religion,current_city")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == scoped
    assert set(body["data"]) == {"name", "birthday"}
    assert body["withheld"] == {
        "religion": "FIELD_NOT_CONSENTED",
        "current_city": "FIELD_NOT_CONSENTED",
    }
    expected = live_server.runtime.source.fetch([subject], ["name", "birthday"])[subject]
    assert body["data"] == expected
    request_id = response.headers["x-request-id"]
    with live_server.runtime.engine.connect() as connection:
        leaves = [
            Leaf.decode(bytes(d)) for (d,) in connection.execute(select(ledger_leaves.c.data))
        ]
    [leaf] = [leaf for leaf in leaves if leaf.req == request_id]
    assert (leaf.app, leaf.fields, leaf.purpose) == (
        live_app.id,
        ("name", "birthday"),
        "academic_research",
    )
    assert leaf.subj == live_server.runtime.stores.ledger.subject_pseudonym(subject)
    mine = http.get("/v1/me/disclosures", headers=live_server.subject_headers(subject))
    assert mine.status_code == 200
    assert [d["request_id"] for d in mine.json()["data"]][-1] == request_id


def test_withdrawal_applies_to_the_very_next_request(
    http: httpx.Client, live_server: LiveServer, live_app: LiveApp
) -> None:
    subject = adults(live_server)[1]
    consent = grant(http, live_server, subject, live_app, ["name"])
    [scoped] = scoped_ids(http, live_app)
    for _ in range(NEXT_READS):  # both workers have read it (and whatever they keep of it)
        assert read(http, live_app, scoped, "name").status_code == 200
    deleted = http.delete(
        f"/v1/me/consents/{consent['id']}", headers=live_server.subject_headers(subject)
    )
    assert deleted.status_code == 204
    before = live_server.disclosure_count()
    for _ in range(NEXT_READS):
        denied = read(http, live_app, scoped, "name")
        assert denied.status_code == 403
        assert denied.json()["error"]["code"] == "NO_CONSENT"
    assert live_server.disclosure_count() == before
    assert scoped_ids(http, live_app) == []


def test_expiry_applies_at_once(
    http: httpx.Client, live_server: LiveServer, live_app: LiveApp
) -> None:
    subject = adults(live_server)[2]
    runtime = live_server.runtime
    grant_consent(
        runtime.stores.consents,
        apps=runtime.stores.apps,
        catalog=runtime.catalog,
        source=runtime.source,
        signer=runtime.signer,
        subject_id=subject,
        request={"app_id": live_app.id, "purpose": "academic_research", "fields": ["name"]},
        policy=ConsentPolicy(ttl_days=90),
        now=utc_now() - timedelta(days=90),
    )
    scoped = live_server.runtime.sealer.scoped_id(live_app.id, subject)
    response = read(http, live_app, scoped, "name")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "CONSENT_EXPIRED"


def test_suspension_kills_live_tokens_and_new_ones(
    http: httpx.Client, live_server: LiveServer, live_app: LiveApp
) -> None:
    subject = adults(live_server)[3]
    grant(http, live_server, subject, live_app, ["name"])
    [scoped] = scoped_ids(http, live_app)
    for _ in range(NEXT_READS):
        assert read(http, live_app, scoped, "name").status_code == 200
    suspended = http.post(
        f"/v1/apps/{live_app.id}/suspend",
        headers=live_server.operator_headers,
        json={"reason": "harvesting"},
    )
    assert suspended.status_code == 200
    assert suspended.json()["status"] == "suspended"
    for response in (
        *(read(http, live_app, scoped, "name") for _ in range(NEXT_READS)),
        http.get("/v1/app/subjects", headers=live_app.headers),
    ):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "APP_SUSPENDED"
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
    http.post(f"/v1/apps/{live_app.id}/reinstate", headers=live_server.operator_headers)
    assert read(http, live_app, scoped, "name").status_code == 200


def test_app_scoped_ids_are_unlinkable_across_apps(
    http: httpx.Client, live_server: LiveServer, live_app: LiveApp
) -> None:
    other = make_live_app(http, live_server)
    subject = adults(live_server)[4]
    grant(http, live_server, subject, live_app, ["name"])
    grant(http, live_server, subject, other, ["name"])
    [mine], [theirs] = scoped_ids(http, live_app), scoped_ids(http, other)
    assert mine != theirs
    assert subject not in mine
    assert subject not in theirs
    assert read(http, live_app, mine, "name").status_code == 200
    foreign = read(http, live_app, theirs, "name")
    unknown = read(http, live_app, "u" + "A" * 30, "name")
    assert foreign.status_code == unknown.status_code == 403
    assert foreign.json() == unknown.json()


def test_app_scoped_ids_do_not_show_the_length_of_the_platform_id(
    http: httpx.Client, live_server: LiveServer
) -> None:
    """Issue 11: platform ids of 1 to 3 digits gave ids of different lengths."""
    app = make_live_app(http, live_server)
    people = adults(live_server)
    chosen = {len(s): s for s in people}  # one subject per id length
    assert len(chosen) >= 2
    for subject in chosen.values():
        grant(http, live_server, subject, app, ["name"])
    ids = scoped_ids(http, app)
    assert len(ids) == len(chosen)
    assert len({len(i) for i in ids}) == 1


def test_unknown_and_never_consented_subjects_answer_identically(
    http: httpx.Client, live_server: LiveServer, live_app: LiveApp
) -> None:
    never = live_server.runtime.sealer.scoped_id(live_app.id, adults(live_server)[5])
    missing = live_server.runtime.sealer.scoped_id(live_app.id, "no-such-subject")
    answers = [read(http, live_app, scoped, "name,religion") for scoped in (never, missing, "junk")]
    assert {a.status_code for a in answers} == {403}
    bodies = [a.json() for a in answers]
    assert bodies[0] == bodies[1] == bodies[2]
    assert bodies[0]["error"]["code"] == "NO_CONSENT"
    assert set(answers[0].headers) == set(answers[1].headers)


def test_friends_only_under_their_own_consent_and_no_trace_of_others(
    http: httpx.Client, live_server: LiveServer, live_app: LiveApp
) -> None:
    everyone = set(adults(live_server))
    source = live_server.runtime.source
    subject = next(
        s
        for s in sorted(everyone, key=int)
        if len([f for f in source.friends(s) if f in everyone]) >= 3
    )
    consenting, refusing, *_ = [f for f in source.friends(subject) if f in everyone]
    grant(http, live_server, subject, live_app, ["name", "friends"])
    grant(http, live_server, consenting, live_app, ["birthday"])
    scoped = live_server.runtime.sealer.scoped_id(live_app.id, subject)
    before = live_server.disclosure_count()
    response = http.get(
        f"/v1/subjects/{scoped}/friends",
        headers=live_app.headers,
        params={"fields": "name,birthday,religion", "purpose": "academic_research"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    friend_id = live_server.runtime.sealer.scoped_id(live_app.id, consenting)
    assert body["data"] == [
        {
            "id": friend_id,
            "data": {"birthday": source.fetch([consenting], ["birthday"])[consenting]["birthday"]},
            "withheld": {"name": "FIELD_NOT_CONSENTED", "religion": "FIELD_NOT_CONSENTED"},
        }
    ]
    assert body["paging"] == {"next": None}
    text_body = response.text
    assert live_server.runtime.sealer.scoped_id(live_app.id, refusing) not in text_body
    assert live_server.disclosure_count() == before + 2  # the subject's friends + one friend
    # the subject's own record lists only consenting friends, by app-scoped id
    own = read(http, live_app, scoped, "friends")
    assert own.json()["data"] == {"friends": [friend_id]}


def test_friends_need_the_subjects_own_consent_to_friends(
    http: httpx.Client, live_server: LiveServer, live_app: LiveApp
) -> None:
    subject = adults(live_server)[6]
    grant(http, live_server, subject, live_app, ["name"])
    scoped = live_server.runtime.sealer.scoped_id(live_app.id, subject)
    response = http.get(
        f"/v1/subjects/{scoped}/friends",
        headers=live_app.headers,
        params={"fields": "name", "purpose": "academic_research"},
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FIELD_NOT_CONSENTED"


def test_a_failed_recording_releases_nothing(
    http: httpx.Client, live_server: LiveServer, live_app: LiveApp
) -> None:
    subject = adults(live_server)[7]
    grant(http, live_server, subject, live_app, ["name"])
    scoped = live_server.runtime.sealer.scoped_id(live_app.id, subject)
    engine = live_server.runtime.engine
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE ledger_leaves RENAME TO ledger_leaves_offline"))
    try:
        response = read(http, live_app, scoped, "name")
    finally:
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE ledger_leaves_offline RENAME TO ledger_leaves"))
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "LEDGER_UNAVAILABLE"
    name = live_server.runtime.source.fetch([subject], ["name"])[subject]["name"]
    assert name not in response.text
    assert read(http, live_app, scoped, "name").status_code == 200


def test_a_subject_can_verify_their_receipt_with_the_published_key(
    http: httpx.Client, live_server: LiveServer, live_app: LiveApp
) -> None:
    import jwt

    consent = grant(http, live_server, adults(live_server)[40], live_app, ["name"])
    [jwk] = http.get("/v1/receipts/jwks").json()["keys"]
    key = jwt.PyJWK(jwk).key
    claims = jwt.decode(consent["receipt"], key, algorithms=["EdDSA"])
    assert claims["consentReceiptID"] == consent["id"]
