"""The public ledger's JSON bodies (``routes/ledger.py``); checkpoints and the verifier key
are ``text/plain``."""

from __future__ import annotations

from pydantic import Field

from consentgate.api.models.base import Hex, Public

__all__ = ["LeafPublic", "LeavesPublic", "ProofPublic"]


class LeafPublic(Public):
    index: int
    hash: Hex = Field(description="The RFC 9162 leaf hash, SHA-256(0x00 || leaf), hex")
    leaf: str | None = Field(
        default=None,
        description="Base64 of the exact leaf bytes: for an operator key only (absent in "
        "the public view, which shows commitments only)",
    )


class LeavesPublic(Public):
    leaves: list[LeafPublic]


class ProofPublic(Public):
    hashes: list[Hex] = Field(description="RFC 9162 proof hashes, hex")
