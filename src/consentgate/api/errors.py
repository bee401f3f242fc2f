"""The error mapping: every failure a route can meet becomes the one envelope
``{"error": {"code", "message", "status"}}`` (a decision's 403 adds ``"withheld"``).

``install_error_handlers(app)`` maps, once, at the edge: a library ``ConsentGateError`` (its
own ``error_code`` and ``http_status``; a 5xx is logged, it is the operator's to fix), a
request that fails validation (400 ``BAD_REQUEST``, never 422), Starlette's HTTP errors
(an unknown route is a 404 envelope, a wrong method 405) and anything unexpected (500
``INTERNAL``: nothing was released). ``/oauth/token`` answers RFC 6749 §5.2 bodies of its
own (``routes/oauth.py``). When the web pages are installed (``app.state.error_page``),
errors on their paths are the same status and code rendered as a page."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from consentgate.errors import AccessDenied, ConsentGateError

__all__ = [
    "envelope",
    "envelope_body",
    "install_error_handlers",
    "library_error",
    "unexpected_error",
]

log = structlog.get_logger("consentgate.api")

_STATUS_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    409: "CONFLICT",
    413: "BODY_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "BAD_REQUEST",
    503: "SERVICE_UNAVAILABLE",
}


def envelope_body(
    status: int, code: str, message: str, *, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The envelope as a JSON-ready dict."""
    body: dict[str, Any] = {"error": {"code": code, "message": message, "status": status}}
    if extra:
        body["error"].update(extra)
    return body


def envelope(
    status: int, code: str, message: str, *, extra: dict[str, Any] | None = None
) -> JSONResponse:
    """The envelope as a response (401s say ``WWW-Authenticate: Bearer``)."""
    body = envelope_body(status, code, message, extra=extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


Answer = tuple[int, dict[str, Any], list[tuple[bytes, bytes]]]  # status, body, headers
_JSON = (b"content-type", b"application/json")
_BEARER = (b"www-authenticate", b"Bearer")


def library_error(exc: ConsentGateError, request_id: str | None) -> Answer:
    """A library error's envelope (a 5xx is logged: the operator's to fix — storage,
    ledger, keys), for FastAPI's handler and the hot read alike."""
    if exc.http_status >= 500:
        log.error(
            "service_unavailable",
            request_id=request_id,
            code=exc.error_code,
            error=type(exc).__name__,
            detail=exc.message,
        )
    extra = {"withheld": exc.withheld} if isinstance(exc, AccessDenied) else None
    body = envelope_body(exc.http_status, exc.error_code, exc.message, extra=extra)
    return exc.http_status, body, [_JSON, _BEARER] if exc.http_status == 401 else [_JSON]


def unexpected_error(exc: Exception, request_id: str | None) -> Answer:
    """Anything unexpected: logged (its type only), 500 ``INTERNAL``, nothing released."""
    log.error("unhandled_error", request_id=request_id, error=type(exc).__name__)
    return 500, envelope_body(500, "INTERNAL", "an unexpected error; nothing was released"), [_JSON]


def _answer(
    request: Request, status: int, code: str, message: str, *, extra: dict[str, Any] | None = None
) -> Response:
    """The envelope, or the web's page for the same error on a web path."""
    page = getattr(request.app.state, "error_page", None)
    shown = page(request, status, code, message) if page is not None else None
    return shown if shown is not None else envelope(status, code, message, extra=extra)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ConsentGateError)
    async def _library(request: Request, exc: ConsentGateError) -> Response:
        status, body, _ = library_error(exc, request.scope.get("state", {}).get("request_id"))
        error = body["error"]
        extra = {"withheld": exc.withheld} if isinstance(exc, AccessDenied) else None
        return _answer(request, status, error["code"], error["message"], extra=extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(part) for part in first.get("loc", ()))
        return _answer(request, 400, "BAD_REQUEST", f"invalid request: {where}: {first.get('msg')}")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = _STATUS_CODES.get(exc.status_code, "ERROR")
        message = str(exc.detail) if exc.detail else code
        if exc.status_code == 404:
            message = f"no route {request.url.path!r}: see /docs for the API"
        return _answer(request, exc.status_code, code, message)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        status, body, _ = unexpected_error(exc, request.scope.get("state", {}).get("request_id"))
        return envelope(status, body["error"]["code"], body["error"]["message"])
