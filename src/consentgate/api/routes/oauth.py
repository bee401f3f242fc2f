"""``POST /oauth/token``: OAuth 2.0 client credentials (RFC 6749 §4.4), errors per §5.2."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import parse_qsl, unquote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from consentgate.api.deps import runtime_of
from consentgate.api.models.oauth import OAUTH_RESPONSES, TokenPublic
from consentgate.apps import authenticate_client, secret_version
from consentgate.policy import AppStatus

router = APIRouter(tags=["oauth"], responses=OAUTH_RESPONSES)


def _oauth_error(status: int, error: str, description: str, *, basic: bool = False) -> JSONResponse:
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="consentgate"' if basic else "Basic"
    return JSONResponse(
        {"error": error, "error_description": description}, status_code=status, headers=headers
    )


@router.post(
    "/oauth/token",
    # every answer is built here (RFC 6749 bodies and headers): the model documents the 200
    response_model=TokenPublic,
    summary="Client-credentials access token for an app",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "required": ["grant_type"],
                        "properties": {
                            "grant_type": {"type": "string", "enum": ["client_credentials"]},
                            "client_id": {"type": "string"},
                            "client_secret": {"type": "string"},
                        },
                    }
                }
            },
        }
    },
)
async def token(request: Request) -> JSONResponse:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return _oauth_error(
            400, "invalid_request", "send an application/x-www-form-urlencoded body"
        )
    raw = await request.body()
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(raw))
    except (UnicodeDecodeError, ValueError):
        return _oauth_error(400, "invalid_request", "the body is not valid form encoding")
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            return _oauth_error(400, "invalid_request", f"parameter {name!r} is repeated")
        params[name] = value
    grant_type = params.get("grant_type")
    if grant_type is None:
        return _oauth_error(400, "invalid_request", "grant_type is required")
    if grant_type != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "only client_credentials is supported")

    basic = False
    client_id = params.get("client_id")
    client_secret = params.get("client_secret")
    authorization = request.headers.get("authorization")
    if authorization:
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() != "basic":
            return _oauth_error(401, "invalid_client", "use HTTP Basic or form credentials")
        basic = True
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return _oauth_error(401, "invalid_client", "malformed Basic credentials", basic=True)
        user, sep, password = decoded.partition(":")
        if not sep:
            return _oauth_error(401, "invalid_client", "malformed Basic credentials", basic=True)
        if client_id is not None or client_secret is not None:
            return _oauth_error(400, "invalid_request", "send credentials one way, not both")
        client_id, client_secret = unquote(user), unquote(password)
    if not client_id or not client_secret or len(client_id) > 200 or len(client_secret) > 200:
        return _oauth_error(401, "invalid_client", "client authentication failed", basic=basic)

    runtime = runtime_of(request)
    app = await run_in_threadpool(
        authenticate_client, runtime.stores.apps, client_id, client_secret
    )
    if app is None:
        return _oauth_error(401, "invalid_client", "client authentication failed", basic=basic)
    if app.status != AppStatus.APPROVED:
        return _oauth_error(
            400, "unauthorized_client", f"the app is {app.status.value}: no tokens are issued"
        )
    access_token, expires_in = runtime.app_tokens.issue(
        app.id, version=secret_version(app.client_secret_hash)
    )
    return JSONResponse(
        {"access_token": access_token, "token_type": "Bearer", "expires_in": expires_in},
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )
