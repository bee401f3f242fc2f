"""Data-subject tokens verified with the platform's JWKS (RS256, ES256, EdDSA), served by a
real HTTP server, next to the shared HS256 secret: the key is chosen by ``kid`` and the
algorithm pinned to the key, so forged, mismatched, expired and ``none`` tokens are 401, and
an unreachable key set is a 503 envelope, never a 500."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from consentgate.sim.server import free_port
from tests.support import SUBJECT_SECRET, LiveServer, start_server

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
ED_KEY = ed25519.Ed25519PrivateKey.generate()
OTHER_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _jwks() -> bytes:
    keys = []
    for kid, algorithm, key in (
        ("rsa-1", RSAAlgorithm, RSA_KEY),
        ("ec-1", ECAlgorithm, EC_KEY),
        ("ed-1", OKPAlgorithm, ED_KEY),
    ):
        jwk = json.loads(algorithm.to_jwk(key.public_key()))  # type: ignore[attr-defined]
        keys.append(jwk | {"kid": kid, "use": "sig"})
    return json.dumps({"keys": keys}).encode()


class _KeySet(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = _jwks()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        return


@pytest.fixture(scope="module")
def jwks_url() -> Iterator[str]:
    port = free_port()
    server = HTTPServer(("127.0.0.1", port), _KeySet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}/.well-known/jwks.json"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def jwks_server(jwks_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with start_server(tmp_path_factory.mktemp("jwks"), subject_jwks_url=jwks_url) as server:
        yield server


def token(key: Any, algorithm: str, *, kid: str | None, **claims: Any) -> str:
    now = int(time.time())
    body = {"sub": "7", "iat": now, "exp": now + 300} | claims
    headers = {"kid": kid} if kid is not None else None
    return jwt.encode(body, key, algorithm=algorithm, headers=headers)


def consents(server: LiveServer, bearer: str) -> httpx.Response:
    return httpx.get(
        f"{server.base_url}/v1/me/consents", headers={"Authorization": f"Bearer {bearer}"}
    )


@pytest.mark.parametrize(
    ("key", "algorithm", "kid"),
    [(RSA_KEY, "RS256", "rsa-1"), (EC_KEY, "ES256", "ec-1"), (ED_KEY, "EdDSA", "ed-1")],
)
def test_platform_keys_from_the_jwks_are_accepted(
    jwks_server: LiveServer, key: Any, algorithm: str, kid: str
) -> None:
    response = consents(jwks_server, token(key, algorithm, kid=kid))
    assert response.status_code == 200, response.text


def test_the_shared_secret_still_works_beside_the_jwks(jwks_server: LiveServer) -> None:
    assert consents(jwks_server, token(SUBJECT_SECRET, "HS256", kid=None)).status_code == 200


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(lambda: token(OTHER_RSA, "RS256", kid="rsa-1"), id="another key, our kid"),
        pytest.param(lambda: token(RSA_KEY, "RS256", kid="rsa-9"), id="unknown kid"),
        pytest.param(lambda: token(RSA_KEY, "RS256", kid=None), id="no kid"),
        pytest.param(lambda: token(RSA_KEY, "PS256", kid="rsa-1"), id="alg not the key's"),
        pytest.param(lambda: token(EC_KEY, "ES256", kid="rsa-1"), id="kid of another type"),
        pytest.param(
            lambda: token(RSA_KEY, "RS256", kid="rsa-1", exp=int(time.time()) - 60),
            id="expired",
        ),
        pytest.param(
            lambda: jwt.encode({"sub": "7"}, RSA_KEY, algorithm="RS256", headers={"kid": "rsa-1"}),
            id="no exp",
        ),
        pytest.param(lambda: token(None, "none", kid="rsa-1"), id="alg none"),
        pytest.param(lambda: "a.b.c", id="garbage"),
    ],
)
def test_forged_or_mismatched_tokens_are_401(jwks_server: LiveServer, bad: Any) -> None:
    response = consents(jwks_server, bad())
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "INVALID_TOKEN"


def test_hs256_keyed_with_the_public_key_is_refused(jwks_server: LiveServer) -> None:
    """The classic confusion: HS256 'signed' with the platform's public RSA key."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}).encode())
    payload = b64(json.dumps({"sub": "7", "exp": int(time.time()) + 300}).encode())
    public_pem = RSA_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signature = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    response = consents(jwks_server, f"{header}.{payload}.{b64(signature)}")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_TOKEN"


def test_an_unreachable_key_set_is_a_503_envelope(tmp_path: Path) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}/jwks.json"
    with start_server(tmp_path, subject_jwks_url=nowhere) as server:
        response = consents(server, token(RSA_KEY, "RS256", kid="rsa-1"))
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "KEYS_UNAVAILABLE"
        # the shared secret does not depend on it
        assert consents(server, token(SUBJECT_SECRET, "HS256", kid=None)).status_code == 200
