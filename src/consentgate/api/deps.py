"""The routes' dependencies (``Annotated``, as in full-stack-fastapi-template): the runtime
(``RuntimeDep``), who is calling — an app (``TokenApp``: a valid token; ``CurrentApp``: also
approved now), a data subject (``CurrentSubject``), an operator allowed to take an action
(``operator_may(Action...)``, decided by ``authz``) — and strict query strings
(``strict_query``: no unknown or repeated parameters). ``bearer`` reads the
``Authorization: Bearer <token>`` header; what a token is and how it verifies is
``consentgate.tokens``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool

from consentgate.authz import Action, Actor, require
from consentgate.errors import AccessDenied, InvalidInput, InvalidToken, NotFound, Unauthenticated
from consentgate.operators import find_operator
from consentgate.policy import AppStatus, Reason
from consentgate.runtime import Runtime

__all__ = [
    "CurrentApp",
    "CurrentSubject",
    "RuntimeDep",
    "TokenApp",
    "bearer",
    "operator_may",
    "optional_operator_may",
    "require_live_app",
    "runtime_of",
    "strict_query",
    "token_app",
]


def bearer(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header."""
    if not authorization:
        raise Unauthenticated("send credentials as 'Authorization: Bearer <token>'")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token or len(token) > 4096:
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
    return token


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def _runtime(request: Request) -> Runtime:
    return runtime_of(request)  # async: a trivial dependency needs no worker thread


RuntimeDep = Annotated[Runtime, Depends(_runtime)]
AuthorizationHeader = Annotated[str | None, Header(include_in_schema=False)]


async def token_app(runtime: Runtime, authorization: str | None) -> str:
    """The app id of a valid access token issued under the app's current client secret
    (one rotated since ends its tokens) — for ``TokenApp`` and the hot read alike."""
    app_id, version = runtime.app_tokens.claims(bearer(authorization))
    current = (
        runtime.stores.apps.secret_version(app_id)  # SQLite: a local read, on the loop
        if runtime.db.is_sqlite
        else await run_in_threadpool(runtime.stores.apps.secret_version, app_id)
    )
    if current != version:
        raise InvalidToken("the app's client secret was rotated since: get a new token")
    return app_id


async def _token_app(runtime: RuntimeDep, authorization: AuthorizationHeader = None) -> str:
    """``token_app``. The app's status is checked where the request is served: by the
    decision itself on the read path, by ``require_live_app`` elsewhere."""
    return await token_app(runtime, authorization)


def require_live_app(runtime: Runtime, app_id: str) -> None:
    """Refuse an app that is not approved now (I4: a token of an app suspended since it
    was issued is refused on every call)."""
    status = runtime.stores.apps.status(app_id)
    if status is None:
        raise InvalidToken("the token's app no longer exists")
    if status == AppStatus.SUSPENDED:
        raise AccessDenied(Reason.APP_SUSPENDED.value, {}, "the app is suspended")
    if status != AppStatus.APPROVED:
        raise AccessDenied(Reason.APP_NOT_APPROVED.value, {}, "the app is not approved")


def _current_app(runtime: RuntimeDep, app_id: Annotated[str, Depends(_token_app)]) -> str:
    require_live_app(runtime, app_id)
    return app_id


def _current_subject(runtime: RuntimeDep, authorization: AuthorizationHeader = None) -> str:
    """The data subject of a platform-issued JWT; a subject the platform does not know is
    404 ``NOT_FOUND``."""
    tokens = runtime.subject_tokens
    if tokens is None:  # create_app refuses a runtime without them
        raise InvalidToken("this server verifies no data-subject tokens")
    subject_id = tokens.subject(bearer(authorization))
    if not runtime.source.attributes([subject_id]):
        raise NotFound("the platform does not know this subject")
    return subject_id


CurrentApp = Annotated[str, Depends(_current_app)]
# for the read path, whose decision refuses suspended and unapproved apps itself
TokenApp = Annotated[str, Depends(_token_app)]
CurrentSubject = Annotated[str, Depends(_current_subject)]


def operator_may(action: Action) -> Callable[..., Actor]:
    """A dependency admitting an operator whose role may take ``action`` (``authz``);
    it gives the acting operator, for the library call to record."""

    def dependency(runtime: RuntimeDep, authorization: AuthorizationHeader = None) -> Actor:
        token = bearer(authorization)
        operator = find_operator(runtime.stores.operators, token)
        if operator is None:
            raise InvalidToken("not a valid operator key")
        require(action=action, actor=operator.actor)
        return operator.actor

    return dependency


def optional_operator_may(action: Action) -> Callable[..., Actor | None]:
    """``operator_may`` for a public endpoint that shows operators more: None without an
    ``Authorization`` header; with one, the operator (a key that is not one, or whose role
    may not take ``action``, is refused rather than served the public view)."""
    admitted = operator_may(action)

    def dependency(runtime: RuntimeDep, authorization: AuthorizationHeader = None) -> Actor | None:
        if authorization is None:
            return None
        return admitted(runtime, authorization)

    return dependency


def strict_query(*allowed: str) -> Callable[[Request], Awaitable[None]]:
    """Refuse unknown and repeated query parameters (a typo must not silently widen a read)."""

    async def dependency(request: Request) -> None:
        seen: set[str] = set()
        for name, _ in request.query_params.multi_items():
            if name not in allowed:
                raise InvalidInput(f"unknown query parameter {name!r}")
            if name in seen:
                raise InvalidInput(f"query parameter {name!r} is given more than once")
            seen.add(name)

    return dependency
