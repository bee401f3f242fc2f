"""The HTTP service: FastAPI app factory, authentication, routers, the error envelope."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI

from consentgate.api import (
    routes_apps,
    routes_data,
    routes_incidents,
    routes_ledger,
    routes_me,
    routes_oauth,
)
from consentgate.api.envelope import RequestContext, install_error_handlers
from consentgate.api.routes import transparency
from consentgate.errors import InvalidInput
from consentgate.logs import configure_logging
from consentgate.runtime import Runtime

__all__ = ["create_app"]


def create_app(runtime: Runtime) -> FastAPI:
    """The consentgate API over ``runtime`` (the composition root). Nothing starts here: the
    app's lifespan starts the runtime's threads and stops them; the runtime itself (its
    database) is its owner's to close."""
    if runtime.subject_tokens is None:
        raise InvalidInput(
            "set CONSENTGATE_SUBJECT_TOKEN_SECRET (the HS256 secret of your platform's "
            "data-subject tokens) or CONSENTGATE_SUBJECT_JWKS_URL, or run with --demo"
        )
    if not structlog.is_configured():
        configure_logging()  # never structlog's default of printing to stdout

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        runtime.start()
        try:
            yield
        finally:
            runtime.stop()

    app = FastAPI(
        title="consentgate",
        version="1",
        summary="Per-field, own-consent release of personal data to third-party apps.",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    app.add_middleware(RequestContext)
    app.include_router(routes_oauth.router)
    app.include_router(routes_apps.router)
    app.include_router(routes_me.router)
    app.include_router(routes_data.router)
    app.include_router(routes_ledger.router)
    app.include_router(routes_incidents.router)
    app.include_router(transparency.router)

    @app.get("/healthz", tags=["operations"], summary="Liveness")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/v1/receipts/jwks",
        tags=["consent receipts (public)"],
        summary="The public key (JWK set) that verifies consent receipts",
    )
    def receipt_keys() -> dict[str, list[dict[str, Any]]]:
        return {"keys": [runtime.signer.public_jwk()]}

    return app
