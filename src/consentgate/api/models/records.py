"""The records of processing (``routes/records.py``): a row per (app, purpose)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from consentgate.api.models.base import Public

__all__ = ["RecordPublic", "RecordsPublic"]


class RecordPublic(Public):
    app_id: str
    app_name: str | None
    app_status: str | None
    controller: dict[str, str] | None = None
    purpose: dict[str, str | None]
    legal_basis: dict[str, str | None] | None = None
    data_subjects: str | None = None
    data_categories: list[dict[str, Any]] = Field(default_factory=list)
    recipient: dict[str, Any] | None = None
    retention_days: int | None = None
    fields_declared: list[str] = Field(default_factory=list)
    fields_disclosed_90d: list[str]
    disclosures_90d: int
    subjects_90d: int
    declared_not_used: list[str]
    used_not_declared: list[str]


class RecordsPublic(Public):
    generated_at: str
    article: str
    controller: dict[str, str]
    dpo: dict[str, str]
    observed_from: str
    observed_days: int
    engine: str
    data: list[RecordPublic]
