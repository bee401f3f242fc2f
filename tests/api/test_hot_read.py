"""The hot read (``api/hot_read.py``) answers exactly as the FastAPI route it stands in for:
the same requests to a server with it and to one without it, over the same runtime, get the
same status, body and headers — a read, a refusal, every malformed request (which it hands
on to the route), a missing or bad token, an unknown subject."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from consentgate.api import create_app
from consentgate.operators import Role, create_operator_key
from consentgate.runtime import open_runtime
from consentgate.settings import Settings
from consentgate.sim.server import serve_in_background
from consentgate.sources.synthetic import generate_platform
from tests.support import (
    PLATFORM_SEED,
    PLATFORM_SUBJECTS,
    SUBJECT_SECRET,
    LiveServer,
    adults,
    grant,
    make_live_app,
)

PURPOSE = "academic_research"


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    """One runtime served twice: with the hot read, and with the FastAPI route only."""
    folder: Path = tmp_path_factory.mktemp("hot")
    runtime = open_runtime(
        Settings(
            database_url=f"sqlite:///{folder / 'hot.db'}",
            subject_token_secret=SUBJECT_SECRET.decode(),
        )
    )
    generate_platform(
        runtime.engine, subjects=PLATFORM_SUBJECTS, seed=PLATFORM_SEED, catalog=runtime.catalog
    )
    admin = create_operator_key(runtime.stores.operators, role=Role.ADMIN, label="tests")
    with ExitStack() as stack:
        stack.callback(runtime.close)
        hot = stack.enter_context(serve_in_background(create_app(runtime)))
        route = stack.enter_context(serve_in_background(create_app(runtime, hot_read=False)))
        yield LiveServer(hot, admin, runtime), route


def _requests(scoped: str, token: str) -> list[tuple[str, dict[str, str], dict[str, str]]]:
    auth = {"Authorization": f"Bearer {token}"}
    ok = {"fields": "name,birthday,religion", "purpose": PURPOSE}
    path = f"/v1/subjects/{scoped}"
    return [
        (path, ok, auth),  # released, one field withheld
        (path, {"fields": "name", "purpose": "analytics"}, auth),  # purpose not consented
        (path, {"fields": "name,shoe_size", "purpose": PURPOSE}, auth),  # unknown field
        (path, {"fields": "name", "purpose": "no_such_purpose"}, auth),
        (path, {"fields": "Name", "purpose": PURPOSE}, auth),  # the route's pattern
        (path, {"fields": "", "purpose": PURPOSE}, auth),
        (path, {"fields": "name"}, auth),  # missing purpose
        (path, {**ok, "extra": "1"}, auth),  # unknown parameter
        (f"{path}?fields=name&fields=name&purpose={PURPOSE}", {}, auth),  # repeated
        (path, ok, {}),  # no token
        (path, ok, {"Authorization": "Basic abc"}),
        (path, ok, {"Authorization": "Bearer not-a-token"}),
        ("/v1/subjects/sid_unknown", ok, auth),  # never given to this app
        (f"/v1/subjects/{'x' * 257}", ok, auth),  # too long for the route
    ]


def test_the_hot_read_answers_as_the_route_does(two_servers: tuple[LiveServer, str]) -> None:
    server, route_url = two_servers
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        app = make_live_app(http, server)
        subject = adults(server)[0]
        grant(http, server, subject, app, ["name", "birthday"])
        scoped = server.runtime.sealer.scoped_id(app.id, subject)
        cases = _requests(scoped, app.token)
        with httpx.Client(base_url=route_url, timeout=30) as other:
            for path, params, headers in cases:
                hot = http.get(path, params=params, headers=headers)
                routed = other.get(path, params=params, headers=headers)
                assert (hot.status_code, hot.json()) == (routed.status_code, routed.json()), path
                for name in ("content-type", "www-authenticate"):
                    assert hot.headers.get(name) == routed.headers.get(name), (path, name)
                assert hot.headers["x-request-id"].startswith("req_")
        assert http.get(cases[0][0], params=cases[0][1], headers=cases[0][2]).status_code == 200
