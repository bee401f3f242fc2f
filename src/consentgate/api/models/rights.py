"""Response models of rights requests, the export and the rights capabilities."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from consentgate.api.models.paging import PagingPublic

__all__ = [
    "CapabilitiesPublic",
    "DisclosurePublic",
    "ExportPublic",
    "ExportRecipientPublic",
    "HistoryEntryPublic",
    "OperatorRequestPublic",
    "OperatorRequestsPublic",
    "ProofPublic",
    "RecipientPublic",
    "RequestPublic",
    "RequestsPublic",
]


class RecipientPublic(BaseModel):
    """An app the ledger says received the person's data, and its notice."""

    app_id: str
    app_name: str | None
    fields: list[str]
    notice_id: str
    notified_at: str | None
    acknowledged_at: str | None


class HistoryEntryPublic(BaseModel):
    at: str
    status: str
    note: str
    actor: str  # who took the step: subject:<id>, operator:<key id>, system:<name>


class RequestPublic(BaseModel):
    id: str
    type: str
    status: str
    received_at: str
    due_at: str
    extended_due_at: str | None
    extension_reason: str | None
    closed_at: str | None
    rejection_reason: str | None
    details: dict[str, Any]
    recipients: list[RecipientPublic]
    history: list[HistoryEntryPublic]


class OperatorRequestPublic(RequestPublic):
    subject_id: str
    verified_by: str | None


class RequestsPublic(BaseModel):
    data: list[RequestPublic]
    paging: PagingPublic


class OperatorRequestsPublic(BaseModel):
    data: list[OperatorRequestPublic]
    paging: PagingPublic


class ProofPublic(BaseModel):
    size: int
    hashes: list[str]


class DisclosurePublic(BaseModel):
    """A ledger entry of the person (``type``: disclosure, access — their own export — or
    erasure), with its leaf and inclusion proof."""

    index: int
    type: str
    app_id: str
    app_name: str | None
    fields: list[str]
    purpose: str
    time: str
    request_id: str
    leaf: str
    proof: ProofPublic | None
    checkpoint: str | None


class DeveloperPublic(BaseModel):
    name: str
    email: str
    country: str


class ExportRecipientPublic(BaseModel):
    app_id: str
    name: str | None
    developer: DeveloperPublic | None
    purposes: list[str]
    fields: list[str]
    first_at: str
    last_at: str
    disclosures: int


class ExportPublic(BaseModel):
    generated_at: str
    subject: dict[str, Any]
    consents: list[dict[str, Any]]
    disclosures: list[DisclosurePublic]
    recipients: list[ExportRecipientPublic]
    requests: list[RequestPublic]
    checkpoint: str | None
    chain_head: int | None


class SourceWritesPublic(BaseModel):
    rectify: bool
    erase: bool


class CapabilitiesPublic(BaseModel):
    source: SourceWritesPublic
    types: list[str]
    rectifiable_fields: list[str]
    notice_ack_days: int
