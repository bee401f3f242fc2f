"""``GET /healthz``: liveness, for load balancers and ``consentgate serve`` waiters."""

from __future__ import annotations

from fastapi import APIRouter

from consentgate.api.models.errors import ERROR_RESPONSES
from consentgate.api.models.health import HealthPublic

router = APIRouter(tags=["operations"], responses=ERROR_RESPONSES)


@router.get("/healthz", response_model=HealthPublic, summary="Liveness")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
