"""What a data subject sees (``routes/me.py``): their consents, and their disclosures with
the ledger proofs that let them check none is missing."""

from __future__ import annotations

from pydantic import Field

from consentgate.api.models.base import Hex, Public, Timestamp
from consentgate.api.paging import Page

__all__ = ["ConsentPublic", "DisclosurePage", "DisclosurePublic", "InclusionProofPublic"]


class ConsentPublic(Public):
    id: str
    app_id: str
    purpose: str
    fields: list[str]
    explicit: bool
    parental_consent: bool = Field(description="Whether a parental consent was recorded")
    notice_version: str
    granted_at: Timestamp
    renewed_at: Timestamp | None
    expires_at: Timestamp
    withdrawn_at: Timestamp | None
    receipt: str = Field(description="Kantara consent receipt, a compact JWS (EdDSA)")


class InclusionProofPublic(Public):
    size: int = Field(description="The tree size of the checkpoint the proof is against")
    hashes: list[Hex]


class DisclosurePublic(Public):
    index: int
    type: str = Field(description="`disclosure`, `access` (the person's own export) or `erasure`")
    app_id: str
    fields: list[str]
    purpose: str
    time: Timestamp
    request_id: str
    leaf: str = Field(description="Base64 of the exact leaf bytes")
    proof: InclusionProofPublic | None = Field(
        description="Against `checkpoint`; null while no published checkpoint covers the leaf"
    )
    checkpoint: str | None = Field(description="The signed note the proof is against")


class DisclosurePage(Page[DisclosurePublic]):
    checkpoint: str | None = Field(description="The latest signed checkpoint note")
    chain_head: int | None = Field(
        description="The index of the person's latest leaf: walk `prev` back to -1"
    )
