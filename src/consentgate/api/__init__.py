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
from consentgate.api.services import Services
from consentgate.logs import configure_logging
from consentgate.runtime import Runtime

__all__ = ["Services", "create_app"]


def create_app(runtime: Runtime, *, subject_secret: bytes | None) -> FastAPI:
    """The consentgate API over ``runtime`` (its database, catalog and source)."""
    if not structlog.is_configured():
        configure_logging()  # never structlog's default of printing to stdout
    services = Services.build(runtime, subject_secret=subject_secret)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        services.close()

    app = FastAPI(
        title="consentgate",
        version="1",
        summary="Per-field, own-consent release of personal data to third-party apps.",
        lifespan=lifespan,
    )
    app.state.services = services
    install_error_handlers(app)
    app.add_middleware(RequestContext)
    app.include_router(routes_oauth.router)
    app.include_router(routes_apps.router)
    app.include_router(routes_me.router)
    app.include_router(routes_data.router)
    app.include_router(routes_ledger.router)
    app.include_router(routes_incidents.router)

    @app.get("/healthz", tags=["operations"], summary="Liveness")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/v1/receipts/jwks",
        tags=["consent receipts (public)"],
        summary="The public key (JWK set) that verifies consent receipts",
    )
    def receipt_keys() -> dict[str, list[dict[str, Any]]]:
        return {"keys": [services.runtime.signer.public_jwk()]}

    return app
