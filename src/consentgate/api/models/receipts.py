"""The key set that verifies consent receipts (``routes/receipts.py``)."""

from __future__ import annotations

from typing import Literal

from consentgate.api.models.base import Public

__all__ = ["JwkPublic", "JwksPublic"]


class JwkPublic(Public):
    kty: Literal["OKP"]
    crv: Literal["Ed25519"]
    x: str
    kid: str
    use: Literal["sig"]
    alg: Literal["EdDSA"]


class JwksPublic(Public):
    keys: list[JwkPublic]
