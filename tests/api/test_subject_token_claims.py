"""Subject tokens as an attacker sends them (issue 11, items 4 and 7): a header whose
``alg`` is a list or an object, a wrong ``iss`` or ``aud``, an ``exp`` in the year 9999 or
written as a string — each is 401 ``INVALID_TOKEN`` from a real server, never a 500 or a
grant; and over any header and payload hypothesis draws, verification only ever says
``InvalidToken``."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consentgate.errors import InvalidToken
from consentgate.tokens import SubjectTokens, mint_subject_token
from tests.support import SUBJECT_SECRET, LiveServer, start_server

ISSUER = "https://id.platform.example"
AUDIENCE = "consentgate-tests"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed(header: Any, payload: Any, secret: bytes = SUBJECT_SECRET) -> str:
    """A JWT with exactly this header and payload (JSON of anything), HS256-signed."""
    head = b64(json.dumps(header).encode())
    body = b64(json.dumps(payload).encode())
    mac = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(mac)}"


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": ISSUER, "aud": AUDIENCE, "sub": "7", "iat": now, "exp": now + 300} | changes


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with start_server(
        tmp_path_factory.mktemp("claims"),
        subject_token_issuer=ISSUER,
        subject_token_audience=AUDIENCE,
        subject_token_max_ttl_seconds=3600,
    ) as live:
        yield live


def consents(server: LiveServer, token: str) -> httpx.Response:
    return httpx.get(
        f"{server.base_url}/v1/me/consents", headers={"Authorization": f"Bearer {token}"}
    )


def test_a_token_of_the_platform_is_accepted(server: LiveServer) -> None:
    assert consents(server, signed({"alg": "HS256", "typ": "JWT"}, claims())).status_code == 200
    minted = mint_subject_token("7", SUBJECT_SECRET, issuer=ISSUER, audience=AUDIENCE)
    assert consents(server, minted).status_code == 200


@pytest.mark.parametrize(
    ("header", "payload"),
    [
        pytest.param({"alg": ["HS256"]}, claims(), id="alg a list"),
        pytest.param({"alg": {"HS256": 1}}, claims(), id="alg an object"),
        pytest.param({"alg": None}, claims(), id="alg null"),
        pytest.param({"alg": 256}, claims(), id="alg a number"),
        pytest.param({}, claims(), id="no alg"),
        pytest.param({"alg": "HS256", "kid": ["a"]}, claims(), id="kid a list"),
        pytest.param({"alg": "HS256", "crit": ["exp"]}, claims(), id="crit"),
        pytest.param(["HS256"], claims(), id="header a list"),
        pytest.param({"alg": "HS256"}, claims(iss="https://evil.example"), id="another iss"),
        pytest.param({"alg": "HS256"}, claims(aud="another-service"), id="another aud"),
        pytest.param(
            {"alg": "HS256"}, {k: v for k, v in claims().items() if k != "iss"}, id="no iss"
        ),
        pytest.param(
            {"alg": "HS256"}, {k: v for k, v in claims().items() if k != "aud"}, id="no aud"
        ),
        pytest.param({"alg": "HS256"}, claims(exp=253402300799), id="exp in 9999"),
        pytest.param({"alg": "HS256"}, claims(exp=str(int(time.time()) + 300)), id="exp a string"),
        pytest.param({"alg": "HS256"}, claims(exp=True), id="exp a boolean"),
        pytest.param(
            {"alg": "HS256"},
            claims(iat=int(time.time()) - 7200, exp=int(time.time()) + 60),
            id="lives longer than the maximum",
        ),
        pytest.param({"alg": "HS256"}, claims(iat="yesterday"), id="iat a string"),
        pytest.param({"alg": "HS256"}, claims(sub=7), id="sub a number"),
        pytest.param({"alg": "HS256"}, ["not", "an", "object"], id="payload a list"),
    ],
)
def test_malformed_or_foreign_tokens_are_401(server: LiveServer, header: Any, payload: Any) -> None:
    response = consents(server, signed(header, payload))
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "INVALID_TOKEN"


def test_serve_outside_demo_refuses_to_start_without_issuer_and_audience(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from consentgate.cli import app as cli

    env = {
        "CONSENTGATE_DATABASE_URL": f"sqlite:///{tmp_path / 'cg.db'}",
        "CONSENTGATE_SUBJECT_TOKEN_SECRET": SUBJECT_SECRET.decode(),
        "CONSENTGATE_SUBJECT_TOKEN_ISSUER": ISSUER,
    }
    result = CliRunner().invoke(cli, ["serve", "--port", "1"], env=env)
    assert result.exit_code == 1
    assert "CONSENTGATE_SUBJECT_TOKEN_AUDIENCE" in result.output


# any JSON value hypothesis can draw, for headers and payloads
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
HEADERS = st.one_of(
    JSON,
    st.fixed_dictionaries({"alg": JSON}, optional={"kid": JSON, "typ": JSON, "crit": JSON}),
    st.fixed_dictionaries({"alg": st.just("HS256")}, optional={"kid": JSON, "typ": JSON}),
)
PAYLOADS = st.one_of(
    JSON,
    st.fixed_dictionaries(
        {"sub": JSON, "exp": JSON},
        optional={"iss": st.just(ISSUER) | JSON, "aud": st.just(AUDIENCE) | JSON, "iat": JSON},
    ),
)
VERIFIER = SubjectTokens(secret=SUBJECT_SECRET, issuer=ISSUER, audience=AUDIENCE)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header=HEADERS, payload=PAYLOADS)
def test_verification_only_ever_refuses_with_invalid_token(header: Any, payload: Any) -> None:
    """Whatever the header and payload, ``subject`` returns a subject id or raises
    ``InvalidToken`` — never another exception (which the API would answer 500)."""
    try:
        subject = VERIFIER.subject(signed(header, payload))
    except InvalidToken:
        return
    assert isinstance(subject, str)
    assert isinstance(payload, dict)
    assert payload["iss"] == ISSUER


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header=HEADERS, payload=PAYLOADS)
def test_the_server_never_answers_500_to_a_drawn_token(
    server: LiveServer, header: Any, payload: Any
) -> None:
    response = consents(server, signed(header, payload))
    assert response.status_code in {200, 401, 404}, response.text
