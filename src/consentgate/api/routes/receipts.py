"""``GET /v1/receipts/jwks``: the public key that verifies consent receipts (public), so a
subject can check theirs without trusting the operator."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from consentgate.api.deps import RuntimeDep
from consentgate.api.models.errors import ERROR_RESPONSES
from consentgate.api.models.receipts import JwksPublic

router = APIRouter(
    prefix="/v1/receipts",
    tags=["consent receipts (public)"],
    responses=ERROR_RESPONSES,
)


@router.get(
    "/jwks",
    response_model=JwksPublic,
    summary="The public key (JWK set) that verifies consent receipts",
)
def receipt_keys(runtime: RuntimeDep) -> dict[str, list[dict[str, Any]]]:
    return {"keys": [runtime.signer.public_jwk()]}
