"""schemathesis against the served OpenAPI schema: whatever it generates for every
operation, no 5xx, and every error outside /oauth/token is the one envelope.

(schemathesis' own pytest plugin does not run under pytest 9 yet, so the operations'
hypothesis strategies are driven directly.)"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from .conftest import LiveApp, LiveServer, make_live_app, start_server
from .test_http_read import adults, grant


@pytest.fixture(scope="module")
def fuzzed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server of its own with detection off: the fuzzer's random ids and field names would
    (rightly) get its app suspended after a few requests, and leave the read path unexplored.
    The shared server's bad-input tests run with detection on."""
    with start_server(tmp_path_factory.mktemp("fuzzed"), detect=False) as server:
        yield server


@pytest.fixture(scope="module")
def credentials(fuzzed_server: LiveServer) -> dict[str, dict[str, str]]:
    live_server = fuzzed_server
    with httpx.Client(base_url=live_server.base_url, timeout=30) as http:
        app: LiveApp = make_live_app(http, live_server, fields=["name", "birthday", "friends"])
        subject = adults(live_server)[20]
        grant(http, live_server, subject, app, ["name", "friends"])
    return {
        "app": app.headers,
        "subject": live_server.subject_headers(subject),
        "operator": live_server.operator_headers,
    }


def _headers_for(path: str, credentials: dict[str, dict[str, str]]) -> dict[str, str]:
    if path.startswith("/v1/me"):
        return credentials["subject"]
    if path.startswith(("/v1/apps", "/v1/incidents", "/v1/breaches", "/v1/records-of-processing")):
        return credentials["operator"]
    return credentials["app"]


@pytest.mark.slow
def test_no_server_errors_for_any_generated_request(
    fuzzed_server: LiveServer, credentials: dict[str, dict[str, str]]
) -> None:
    schema = schemathesis.openapi.from_url(f"{fuzzed_server.base_url}/openapi.json")
    exercised = []
    for result in schema.get_all_operations():
        operation = result.ok()
        exercised.append(f"{operation.method.upper()} {operation.path}")

        @settings(
            max_examples=30,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case: schemathesis.Case) -> None:
            response = case.call(headers=_headers_for(case.path, credentials))
            case.validate_response(response, checks=(not_a_server_error,))
            if response.status_code >= 400 and case.path != "/oauth/token":
                body = response.json()
                assert set(body) == {"error"}
                assert body["error"]["status"] == response.status_code

        check()
    assert len(exercised) >= 25, exercised
