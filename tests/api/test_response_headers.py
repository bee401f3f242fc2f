"""What every response says about itself, against a real server (issue 11, item 10):
``nosniff`` everywhere, ``no-store`` on personal data and secrets, ``/docs`` without a CDN,
no redirect towards the request's ``Host``, and a 413 a client that writes its whole body
first (urllib) still reads as the envelope."""

from __future__ import annotations

import json
import re
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from consentgate.api.middleware import MAX_BODY_BYTES
from tests.support import (
    REGISTRATION,
    LiveServer,
    adults,
    client_of,
    grant,
    make_live_app,
    read,
    scoped_ids,
    start_server,
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with start_server(tmp_path_factory.mktemp("headers")) as live:
        yield live


def raw_request(server: LiveServer, request: bytes) -> bytes:
    """Send ``request`` as bytes on a fresh connection; everything the server answers."""
    address = urlsplit(server.base_url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(request)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_personal_data_and_secrets_are_never_stored_by_a_cache(server: LiveServer) -> None:
    with client_of(server) as http:
        created = http.post("/v1/apps", json=REGISTRATION, headers=server.operator_headers)
        assert "client_secret" in created.json()
        app = make_live_app(http, server, fields=["name", "birthday"])
        subject = adults(server)[0]
        grant(http, server, subject, app, ["name"])
        responses = [
            created,
            http.post(
                "/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": app.client_id,
                    "client_secret": app.client_secret,
                },
            ),
            read(http, app, scoped_ids(http, app)[0], "name"),
            http.get("/v1/me/consents", headers=server.subject_headers(subject)),
            http.get("/v1/me/disclosures", headers=server.subject_headers(subject)),
            http.get("/v1/apps", headers=server.operator_headers),
        ]
    for response in responses:
        assert response.status_code in {200, 201}, response.text
        assert "no-store" in response.headers["cache-control"], response.url


def test_every_response_says_nosniff(server: LiveServer) -> None:
    with client_of(server) as http:
        responses = [
            http.get("/healthz"),
            http.get("/v1/nowhere"),
            http.get("/v1/me/consents"),
            http.get("/docs"),
            http.get("/openapi.json"),
            http.post("/v1/apps", content=b"x" * (MAX_BODY_BYTES + 1)),
        ]
    for response in responses:
        assert response.headers["x-content-type-options"] == "nosniff", response.url


def test_docs_work_offline(server: LiveServer) -> None:
    with client_of(server) as http:
        for page in ("/docs", "/redoc"):
            html = http.get(page)
            assert html.status_code == 200
            sources = re.findall(r'(?:src|href)="([^"]+)"', html.text)
            assert sources, html.text
            for source in sources:
                assert not urlsplit(source).netloc, f"{page} loads {source} from elsewhere"
                if source.endswith((".js", ".css")):
                    asset = http.get(source)
                    assert asset.status_code == 200, source
                    assert len(asset.content) > 10_000


@pytest.mark.parametrize("path", ["/v1/apps/", "/v1/me/consents/", "/docs/", "/healthz/"])
def test_no_redirect_points_at_the_request_host(server: LiveServer, path: str) -> None:
    answer = raw_request(
        server,
        f"GET {path} HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n".encode(),
    )
    head = answer.split(b"\r\n\r\n", 1)[0].lower()
    assert b"evil.example" not in head, head.decode()
    for line in head.split(b"\r\n"):
        if line.startswith(b"location:"):
            assert line.split(b":", 1)[1].strip().startswith(b"/"), line


def _urllib_post(server: LiveServer, body: bytes, *, chunked: bool = False) -> tuple[int, dict]:
    """POST ``body`` the way urllib does: the whole body is written before anything is read."""
    headers = {"Content-Type": "application/json"}
    data: bytes | Iterator[bytes] = body
    if chunked:
        headers["Transfer-Encoding"] = "chunked"
        data = iter([body[i : i + 65536] for i in range(0, len(body), 65536)])
    request = urllib.request.Request(  # noqa: S310 — a local test server
        f"{server.base_url}/v1/apps", data=data, headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_413_reaches_a_client_that_writes_its_whole_body_first(
    server: LiveServer, chunked: bool
) -> None:
    status, body = _urllib_post(server, b" " * (4 * MAX_BODY_BYTES), chunked=chunked)
    assert status == 413
    assert body["error"]["code"] == "BODY_TOO_LARGE"
    # and the server is fine afterwards
    assert httpx.get(f"{server.base_url}/healthz").status_code == 200
