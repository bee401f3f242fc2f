"""The ``friends`` field of a person with hundreds of consenting friends (issue 11, item
10), over a real server: it holds at most ``FRIENDS_FIELD_LIMIT`` app-scoped ids — each a
friend the paged ``/friends`` endpoint lists too — so one read of it is bounded work (it
was every friend: one person with 3,442 friends stalled the server for every request)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from consentgate.consent import grant_consent
from consentgate.gateway.planner import FRIENDS_FIELD_LIMIT
from tests.support import (
    LiveServer,
    adults,
    client_of,
    grant,
    make_live_app,
    read,
    start_server,
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with start_server(tmp_path_factory.mktemp("friends"), rate_limit_app=0) as live:
        yield live


def test_the_friends_field_is_bounded_and_the_list_is_paged(server: LiveServer) -> None:
    runtime = server.runtime
    grown = set(adults(server))
    person = max(grown, key=lambda s: len(runtime.source.friends(s)))
    consenting = [f for f in runtime.source.friends(person) if f in grown]
    assert len(consenting) > FRIENDS_FIELD_LIMIT, "the test platform needs a bigger circle"
    with client_of(server) as http:
        app = make_live_app(http, server, fields=["name", "friends"])
        grant(http, server, person, app, ["name", "friends"])
        for friend in consenting:  # through the library: hundreds of grants in a second
            grant_consent(
                runtime.stores.consents,
                apps=runtime.stores.apps,
                catalog=runtime.catalog,
                source=runtime.source,
                signer=runtime.signer,
                subject_id=friend,
                request={"app_id": app.id, "purpose": "academic_research", "fields": ["name"]},
            )
        own = runtime.sealer.scoped_id(app.id, person)

        field = read(http, app, own, "friends")
        assert field.status_code == 200, field.text
        shown = field.json()["data"]["friends"]
        assert len(shown) == FRIENDS_FIELD_LIMIT

        listed: list[str] = []
        cursor = None
        while True:
            params = {"fields": "name", "purpose": "academic_research", "limit": "100"}
            if cursor:
                params["cursor"] = cursor
            page = http.get(f"/v1/subjects/{own}/friends", headers=app.headers, params=params)
            assert page.status_code == 200, page.text
            listed += [friend["id"] for friend in page.json()["data"]]
            cursor = page.json()["paging"]["next"]
            if not cursor:
                break
    assert len(listed) == len(consenting)
    assert shown == listed[:FRIENDS_FIELD_LIMIT]
