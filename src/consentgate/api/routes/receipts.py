"""``GET /v1/receipts/jwks``: the public key that verifies consent receipts (public), so a
subject can check theirs without trusting the operator."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from consentgate.api.deps import RuntimeDep

router = APIRouter(prefix="/v1/receipts", tags=["consent receipts (public)"])


@router.get("/jwks", summary="The public key (JWK set) that verifies consent receipts")
def receipt_keys(runtime: RuntimeDep) -> dict[str, list[dict[str, Any]]]:
    return {"keys": [runtime.signer.public_jwk()]}
