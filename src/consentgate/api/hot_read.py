"""The hot read, ``GET /v1/subjects/{id}``, as a pure ASGI handler mounted in front of
FastAPI's router (``HotRead``, inside ``RequestContext``: the request id, the body cap and
the log line are the same as for every route).

Why: FastAPI walks every included router in order, validates parameters through pydantic,
solves the dependency graph and serialises through the response model — measured at some
560 µs of server CPU per read, more than the read itself (docs/benchmarks.md). This handler
does what the route does, for the requests the route would serve, and nothing else:

- only ``GET`` on exactly ``/v1/subjects/{id}`` (1 to 256 characters), with a query string of
  exactly ``fields`` and ``purpose``, once each, matching the route's patterns and lengths,
  is served here; **anything else is handed to FastAPI unchanged**, so every refusal of a
  malformed request (400 ``BAD_REQUEST``, unknown or repeated parameters, a missing path
  segment) keeps the one answer the route gives;
- the bearer token (``deps.token_app``: also refused once the app's secret was rotated),
  then ``Gateway.read_subject`` — the same call, so the decision, the
  detector and the write-ahead commit (I2) are the route's own;
- the body in orjson, ``application/json``; a library error in the one envelope with its
  status (401s say ``WWW-Authenticate: Bearer``, 5xx are logged), anything unexpected a 500
  ``INTERNAL`` — both through ``api.errors``, as FastAPI's handlers do.

The FastAPI route stays (it is the OpenAPI of the read and serves whatever this hands on).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from consentgate.api.deps import token_app
from consentgate.api.errors import library_error, unexpected_error
from consentgate.errors import ConsentGateError
from consentgate.runtime import Runtime

__all__ = ["HotRead"]

ROUTE = "/v1/subjects/{subject_id}"
_PREFIX = "/v1/subjects/"
_FIELDS = re.compile(r"[a-z0-9_]+(,[a-z0-9_]+)*")
_PURPOSE = re.compile(r"[a-z0-9_]+")
_JSON = (b"content-type", b"application/json")


class _Route:
    """What ``RequestContext`` logs as the route (FastAPI puts its route object there)."""

    path = ROUTE


_THE_ROUTE = _Route()


class HotRead:
    """Pure ASGI: serve the well-formed single-subject read, hand everything else on."""

    def __init__(self, app: ASGIApp, runtime: Callable[[], Runtime]) -> None:
        self.app = app
        self._runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        read = _well_formed(scope) if scope["type"] == "http" else None
        if read is None:
            await self.app(scope, receive, send)
            return
        scope["route"] = _THE_ROUTE
        subject_id, fields, purpose, authorization = read
        request_id: str = scope["state"]["request_id"]
        try:
            runtime = self._runtime()
            app_id = await token_app(runtime, authorization)
            client = scope.get("client")
            result = await runtime.gateway.read_subject(
                app_id=app_id,
                scoped_id=subject_id,
                purpose=purpose,
                fields=fields.split(","),
                request_id=request_id,
                client=client[0] if client else "",
            )
            # committed: the gateway returns nothing before the commit (I2)
            status, body, headers = 200, result.as_dict(), [_JSON]
        except ConsentGateError as exc:
            status, body, headers = library_error(exc, request_id)
        except Exception as exc:  # noqa: BLE001 — one envelope, nothing released
            status, body, headers = unexpected_error(exc, request_id)
        await _send_json(send, status, body, headers)


def _well_formed(scope: Scope) -> tuple[str, str, str, str | None] | None:
    """(subject id, fields, purpose, Authorization) of a read the route would serve; None
    for anything else (FastAPI then answers it, refusals included)."""
    if scope["method"] != "GET":
        return None
    path: str = scope["path"]
    if not path.startswith(_PREFIX):
        return None
    subject_id = path[len(_PREFIX) :]
    if not 1 <= len(subject_id) <= 256 or "/" in subject_id:
        return None
    query = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
    if len(query) != 2:
        return None
    params = dict(query)
    fields, purpose = params.get("fields"), params.get("purpose")
    if fields is None or purpose is None:  # also: a name given twice
        return None
    if not 1 <= len(fields) <= 1000 or _FIELDS.fullmatch(fields) is None:
        return None
    if not 1 <= len(purpose) <= 64 or _PURPOSE.fullmatch(purpose) is None:
        return None
    authorization = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            authorization = value.decode("latin-1")
            break
    return subject_id, fields, purpose, authorization


async def _send_json(
    send: Send, status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]]
) -> None:
    payload = orjson.dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(payload)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": payload})
