"""The app factory: ``create_app(runtime)`` puts the HTTP service together over the
composition root (``consentgate.runtime``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from starlette.types import ASGIApp

from consentgate.api.client_auth import ClientAuthGuard
from consentgate.api.errors import install_error_handlers
from consentgate.api.hot_read import HotRead
from consentgate.api.middleware import CACHEABLE_PREFIX, RequestContext
from consentgate.api.routes import include_routers
from consentgate.errors import InvalidInput
from consentgate.logs import configure_logging
from consentgate.runtime import Runtime, open_runtime
from consentgate.web import install_web

__all__ = ["app_from_environment", "create_app"]


def app_from_environment() -> FastAPI:
    """The app over a runtime opened from the environment: the factory each worker process
    of ``consentgate serve --workers N`` calls (its runtime lives as long as the process)."""
    configure_logging()
    return create_app(open_runtime())


DOCS_ASSETS = CACHEABLE_PREFIX.rstrip("/")


def _front_door(app: FastAPI, *, hot_read: bool) -> None:
    """Put ``RequestContext`` (request id, body cap, the log line) and the hot read in front
    of the app's whole middleware stack: every request passes ``RequestContext`` first; the
    well-formed single-subject read is then served by ``HotRead`` without FastAPI's own
    layers (error, telemetry, body-limit middleware, the routers), anything else goes on
    into them. An unexpected error FastAPI answers 500 also carries ``X-Request-Id``.
    (``FastAPIOffline`` is a factory, not a class, so the stack builder is wrapped on the
    instance rather than overridden in a subclass.)"""
    build = app.build_middleware_stack

    def build_with_front_door() -> ASGIApp:
        stack = build()
        if hot_read:
            stack = HotRead(stack, runtime=lambda: app.state.runtime)
        return RequestContext(stack)

    app.build_middleware_stack = build_with_front_door  # type: ignore[method-assign]


def create_app(runtime: Runtime, *, hot_read: bool = True) -> FastAPI:
    """The consentgate API over ``runtime`` (the composition root). Nothing starts here: the
    app's lifespan starts the runtime's threads and stops them; the runtime itself (its
    database) is its owner's to close. ``hot_read``: serve the single-subject read through
    ``api.hot_read`` (off only to compare it with the FastAPI route it stands in for)."""
    if runtime.subject_tokens is None:
        raise InvalidInput(
            "set CONSENTGATE_SUBJECT_TOKEN_SECRET (the HS256 secret of your platform's "
            "data-subject tokens) or CONSENTGATE_SUBJECT_JWKS_URL, or run with --demo"
        )
    if not structlog.is_configured():
        configure_logging()  # never structlog's default of printing to stdout

    client_auth = ClientAuthGuard(
        runtime.stores.apps,
        slots=runtime.settings.oauth_hash_slots,
        failures_per_minute=runtime.settings.oauth_failures_per_minute,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        runtime.start()
        try:
            yield
        finally:
            client_auth.close()
            runtime.stop()

    # /docs and /redoc load their scripts from the package (fastapi-offline ships Swagger UI
    # and ReDoc), never from a CDN; no redirect from /x/ to /x (it would name the request's Host)
    app = FastAPIOffline(
        title="consentgate",
        version="1",
        summary="Per-field, own-consent release of personal data to third-party apps.",
        lifespan=lifespan,
        redirect_slashes=False,
        static_url=DOCS_ASSETS,
    )
    _front_door(app, hot_read=hot_read)
    app.state.runtime = runtime
    app.state.client_auth = client_auth
    install_error_handlers(app)
    include_routers(app)
    install_web(app, runtime)  # the privacy centre and the console (docs/web.md)
    return app
