"""The read path end to end with PostgreSQL behind the server: reads run in worker threads
there (on SQLite a single-subject read runs on the event loop), so this is their own check
of consent filtering, the write-ahead leaf, withdrawal, and identical refusals — with the
server in a thread of this process and as ``consentgate serve --workers 2`` (a withdrawal
one process handles is refused by the other on the next request, I4)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from consentgate.ledger.leaves import Leaf
from consentgate.storage import is_sqlite
from consentgate.storage.tables import ledger_leaves
from tests.support import (
    LiveServer,
    adults,
    fresh_schema,
    grant,
    make_live_app,
    read,
    require_postgres,
    scoped_ids,
    start_server,
)

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module", params=[0, 2], ids=["in-thread", "two-workers"])
def pg_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    require_postgres()
    folder: Path = tmp_path_factory.mktemp("pg-server")
    with (
        fresh_schema() as url,  # a schema of its own for each
        start_server(folder, database_url=url, detect=False, workers=request.param) as server,
    ):
        assert not is_sqlite(server.runtime.engine)
        yield server


@pytest.fixture
def pg_http(pg_server: LiveServer) -> Iterator[httpx.Client]:
    """A connection per request: with two workers, consecutive requests land on either."""
    limits = httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(base_url=pg_server.base_url, timeout=30, limits=limits) as client:
        yield client


def test_a_read_on_postgres_releases_consented_fields_recorded_first(
    pg_http: httpx.Client, pg_server: LiveServer
) -> None:
    app = make_live_app(pg_http, pg_server, fields=["name", "birthday", "religion"])
    subject = adults(pg_server)[0]
    grant(pg_http, pg_server, subject, app, ["name"])
    [scoped] = scoped_ids(pg_http, app)
    response = read(pg_http, app, scoped, "name,religion")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"] == pg_server.runtime.source.fetch([subject], ["name"])[subject]
    assert body["withheld"] == {"religion": "FIELD_NOT_CONSENTED"}
    with pg_server.runtime.engine.connect() as connection:
        leaves = [
            Leaf.decode(bytes(d)) for (d,) in connection.execute(select(ledger_leaves.c.data))
        ]
    [leaf] = [leaf for leaf in leaves if leaf.req == response.headers["x-request-id"]]
    assert (leaf.app, leaf.fields) == (app.id, ("name",))

    withdrawn = pg_http.get("/v1/me/consents", headers=pg_server.subject_headers(subject))
    [consent] = withdrawn.json()["data"]
    deleted = pg_http.delete(
        f"/v1/me/consents/{consent['id']}", headers=pg_server.subject_headers(subject)
    )
    assert deleted.status_code in (200, 204), deleted.text
    after = read(pg_http, app, scoped, "name")
    assert after.status_code == 403  # the very next request (I4)
    never = pg_server.runtime.sealer.scoped_id(app.id, adults(pg_server)[1])
    unknown = read(pg_http, app, "u" + "A" * 30, "name")
    assert after.json() == read(pg_http, app, never, "name").json() == unknown.json()
