"""Every router of the HTTP API, one module per noun, in the order requests are matched.

Starlette tries routes in the order they were added, so the hot protected read
(``data``: ``GET /v1/subjects/{id}``) comes first and pays for no other route's pattern;
the rest follow roughly by traffic. Paths never overlap between routers, so the order
changes nothing but cost. A new router is added here (and documented in docs/api.md).
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from consentgate.api.routes import (
    apps,
    breaches,
    catalog,
    data,
    health,
    incidents,
    ledger,
    me,
    notices,
    oauth,
    operators,
    receipts,
    records,
    requests,
    rights,
    transparency,
)

__all__ = ["ROUTERS", "include_routers"]

ROUTERS: tuple[APIRouter, ...] = (
    data.router,  # the protected read path: first
    oauth.router,
    me.router,
    rights.router,
    notices.router,
    apps.router,
    requests.router,
    incidents.router,
    breaches.router,
    operators.router,
    records.router,
    ledger.router,
    transparency.router,
    catalog.router,
    receipts.router,
    health.router,
)


def include_routers(app: FastAPI) -> None:
    for router in ROUTERS:
        app.include_router(router)
