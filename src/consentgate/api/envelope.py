"""The one error envelope, and the ASGI middleware that gives every request an id, caps
bodies at 1 MiB and logs each request (ids, status and timing only — never values)."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from consentgate.errors import AccessDenied, ConsentGateError

__all__ = ["MAX_BODY_BYTES", "RequestContext", "envelope", "install_error_handlers"]

MAX_BODY_BYTES = 1024 * 1024
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


def envelope(
    status: int, code: str, message: str, *, extra: dict[str, Any] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"error": {"code": code, "message": message, "status": status}}
    if extra:
        body["error"].update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ConsentGateError)
    async def _library(request: Request, exc: ConsentGateError) -> JSONResponse:
        if exc.http_status >= 500:  # the operator's to fix (storage, ledger, keys): say so
            log.error(
                "service_unavailable",
                request_id=request.scope.get("state", {}).get("request_id"),
                code=exc.error_code,
                error=type(exc).__name__,
                detail=exc.message,
            )
        extra = {"withheld": exc.withheld} if isinstance(exc, AccessDenied) else None
        return envelope(exc.http_status, exc.error_code, exc.message, extra=extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(part) for part in first.get("loc", ()))
        return envelope(400, "BAD_REQUEST", f"invalid request: {where}: {first.get('msg')}")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "ERROR")
        message = str(exc.detail) if exc.detail else code
        if exc.status_code == 404:
            message = f"no route {request.url.path!r}: see /docs for the API"
        return envelope(exc.status_code, code, message)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error(
            "unhandled_error",
            request_id=request.scope.get("state", {}).get("request_id"),
            error=type(exc).__name__,
        )
        return envelope(500, "INTERNAL", "an unexpected error; nothing was released")


class RequestContext:
    """Pure ASGI middleware: request id, the 1 MiB body cap, one log line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = "req_" + secrets.token_urlsafe(12)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status_holder = {"status": 500}

        length = _content_length(scope)
        if length is not None and length > MAX_BODY_BYTES:
            await _send_too_large(send, request_id)
            await _drain(receive)
            return

        app_receive = receive
        if length is None and scope.get("method") in ("POST", "PUT", "PATCH", "DELETE"):
            # a body of unknown length (chunked): read it here, bounded, and replay it
            buffered, complete = await _read_bounded(receive)
            if not complete:
                await _send_too_large(send, request_id)
                await _drain(receive)
                return
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": buffered, "more_body": False}
                return await receive()

            app_receive = replay

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, app_receive, send_with_id)
        finally:
            route = scope.get("route")
            log.info(
                "request",
                request_id=request_id,
                method=scope.get("method"),
                route=getattr(route, "path", None),
                status=status_holder["status"],
                ms=round((time.perf_counter() - started) * 1000, 2),
            )


async def _read_bounded(receive: Receive) -> tuple[bytes, bool]:
    """The whole body if it is at most ``MAX_BODY_BYTES``; (partial, False) if it is more."""
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(parts), True
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return b"", False
        parts.append(chunk)
        if not message.get("more_body", False):
            return b"".join(parts), True


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _send_too_large(send: Send, request_id: str) -> None:
    body = json.dumps(
        {
            "error": {
                "code": "BODY_TOO_LARGE",
                "message": f"the body is over {MAX_BODY_BYTES} bytes",
                "status": 413,
            }
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"x-request-id", request_id.encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _drain(receive: Receive) -> None:
    """Read (and drop) what the client sends, bounded, so it sees the 413 and not a reset."""
    total = 0
    while total < 64 * MAX_BODY_BYTES:
        message = await receive()
        if message["type"] != "http.request":
            return
        total += len(message.get("body", b""))
        if not message.get("more_body", False):
            return
