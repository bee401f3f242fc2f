"""The ASGI middleware every request passes through (``RequestContext``, pure ASGI, so the
hot read pays no Starlette ``BaseHTTPMiddleware`` task): a request id (``X-Request-Id``, also
stored with the disclosures the request makes), the 1 MiB body cap — a ``Content-Length``
over it or a chunked body that grows past it is answered 413 ``BODY_TOO_LARGE`` in the
envelope only after the body is drained (up to ``DRAIN_LIMIT_BYTES``), so a client that
writes its whole body before reading (urllib, many SDKs) reads the answer rather than a
broken pipe — the headers every response carries (``X-Content-Type-Options: nosniff``;
``Cache-Control: no-store`` unless the route set its own, so no personal data or secret is
kept by a cache; a ``Location`` never names a host, so no redirect points at the request's
``Host``), and one log line per request with ids, route, status and timing, never values."""

from __future__ import annotations

import json
import secrets
import time
from urllib.parse import urlsplit

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from consentgate.api.errors import envelope_body

__all__ = ["DRAIN_LIMIT_BYTES", "MAX_BODY_BYTES", "RequestContext"]

MAX_BODY_BYTES = 1024 * 1024
# a refused body is read and dropped up to this much before the 413 (then the connection closes)
DRAIN_LIMIT_BYTES = 16 * MAX_BODY_BYTES
# paths whose responses may be cached (the offline /docs assets: no personal data)
CACHEABLE_PREFIX = "/docs/assets/"
_NOSNIFF = (b"x-content-type-options", b"nosniff")
_NO_STORE = (b"cache-control", b"no-store")
log = structlog.get_logger("consentgate.api")


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
            if length <= DRAIN_LIMIT_BYTES:  # larger: the client is told at once, then cut off
                await _drain(receive, DRAIN_LIMIT_BYTES)
            await _send_too_large(send, request_id)
            return

        app_receive = receive
        if length is None and scope.get("method") in ("POST", "PUT", "PATCH", "DELETE"):
            # a body of unknown length (chunked): read it here, bounded, and replay it
            buffered, complete = await _read_bounded(receive)
            if not complete:
                await _drain(receive, DRAIN_LIMIT_BYTES - MAX_BODY_BYTES)
                await _send_too_large(send, request_id)
                return
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": buffered, "more_body": False}
                return await receive()

            app_receive = replay

        cacheable = str(scope.get("path", "")).startswith(CACHEABLE_PREFIX)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                headers = _secured(message.get("headers", []), cacheable=cacheable)
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


def _secured(headers: list[tuple[bytes, bytes]], *, cacheable: bool) -> list[tuple[bytes, bytes]]:
    """``headers`` with nosniff, no-store (unless set, or ``cacheable``) and a ``Location``
    reduced to its path: a redirect never names a host, whatever ``Host`` the request sent."""
    secured = [_NOSNIFF]
    cache_set = False
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"cache-control":
            cache_set = True
        elif lowered == b"location":
            value = _relative(value)
        elif lowered == b"x-content-type-options":
            continue
        secured.append((name, value))
    if not cache_set and not cacheable:
        secured.append(_NO_STORE)
    return secured


def _relative(location: bytes) -> bytes:
    """``https://host/a?b`` → ``/a?b``; ``//host/a`` → ``/a``; a relative one as it is."""
    parts = urlsplit(location.decode("latin-1"))
    if not parts.scheme and not parts.netloc:
        return location
    path = "/" + parts.path.lstrip("/")
    return (path + (f"?{parts.query}" if parts.query else "")).encode("latin-1")


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
        envelope_body(413, "BODY_TOO_LARGE", f"the body is over {MAX_BODY_BYTES} bytes")
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
                _NOSNIFF,
                _NO_STORE,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _drain(receive: Receive, limit: int) -> None:
    """Read (and drop) what the client sends, up to ``limit`` bytes, so a client that writes
    its whole body before it reads sees the 413 and not a broken pipe."""
    total = 0
    while total < limit:
        message = await receive()
        if message["type"] != "http.request":
            return
        total += len(message.get("body", b""))
        if not message.get("more_body", False):
            return
