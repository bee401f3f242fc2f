"""The public ledger's JSON bodies (``routes/ledger.py``); checkpoints and the verifier key
are ``text/plain``."""

from __future__ import annotations

from pydantic import Field

from consentgate.api.models.base import Hex, Public

__all__ = ["LeafPublic", "LeavesPublic", "ProofPublic"]


class LeafPublic(Public):
    index: int
    leaf: str = Field(description="Base64 of the exact leaf bytes")


class LeavesPublic(Public):
    leaves: list[LeafPublic]


class ProofPublic(Public):
    hashes: list[Hex] = Field(description="RFC 9162 proof hashes, hex")
