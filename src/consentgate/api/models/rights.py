"""What a person and an operator see of rights requests (``routes/rights.py``,
``routes/requests.py``): the request object with its recipients and history, the export,
and the rights capabilities of this deployment."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from consentgate.api.models.base import Public
from consentgate.api.models.me import ConsentPublic, DisclosurePublic
from consentgate.api.paging import Page

__all__ = [
    "CapabilitiesPublic",
    "ExportDisclosurePublic",
    "ExportPublic",
    "ExportRecipientPublic",
    "HistoryEntryPublic",
    "OperatorRequestPage",
    "OperatorRequestPublic",
    "RecipientPublic",
    "RequestPage",
    "RequestPublic",
]


class RecipientPublic(Public):
    """An app the ledger says received the person's data, and its Art. 19 notice."""

    app_id: str
    app_name: str | None
    fields: list[str] = Field(description="The fields the notice names (those it received)")
    notice_id: str
    notified_at: str | None = Field(description="When its webhook was answered 2xx")
    acknowledged_at: str | None


class HistoryEntryPublic(Public):
    at: str
    status: str
    note: str
    actor: str = Field(description="Who took the step: subject:…, operator:<key id>, system:…")


class RequestPublic(Public):
    id: str
    type: str = Field(
        description="access, portability, rectification, restriction, objection, erasure"
    )
    status: str = Field(description="received, in_progress, completed, rejected")
    received_at: str
    due_at: str
    extended_due_at: str | None
    extension_reason: str | None
    closed_at: str | None
    rejection_reason: str | None
    details: dict[str, Any] = Field(
        description="Per type: fields changed (never values), purposes objected to, ground"
    )
    recipients: list[RecipientPublic]
    history: list[HistoryEntryPublic]


class OperatorRequestPublic(RequestPublic):
    subject_id: str
    verified_by: str | None


class RequestPage(Page[RequestPublic]):
    pass


class OperatorRequestPage(Page[OperatorRequestPublic]):
    pass


class ExportDisclosurePublic(DisclosurePublic):
    app_name: str | None


class DeveloperPublic(Public):
    name: str
    email: str
    country: str


class ExportRecipientPublic(Public):
    app_id: str
    name: str | None
    developer: DeveloperPublic | None
    purposes: list[str]
    fields: list[str]
    first_at: str
    last_at: str
    disclosures: int


class ExportPublic(Public):
    generated_at: str
    subject: dict[str, Any] = Field(description="Every catalog field the source holds")
    consents: list[ConsentPublic]
    disclosures: list[ExportDisclosurePublic] = Field(
        description="Every ledger entry of the person, this export's own `access` entry too"
    )
    recipients: list[ExportRecipientPublic]
    requests: list[RequestPublic]
    checkpoint: str | None
    chain_head: int | None


class SourceWritesPublic(Public):
    rectify: bool
    erase: bool


class CapabilitiesPublic(Public):
    source: SourceWritesPublic = Field(description="What the platform's source can write")
    types: list[str] = Field(description="The request types this deployment accepts")
    rectifiable_fields: list[str]
    notice_ack_days: int
