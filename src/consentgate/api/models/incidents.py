"""Harvest incidents (``routes/incidents.py``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from consentgate.api.models.base import Public, Timestamp

__all__ = ["IncidentPublic", "IncidentSubjectPublic"]


class IncidentPublic(Public):
    id: str
    app_id: str
    rule: str
    evidence: dict[str, Any] = Field(description="The rule's numbers and an explanation")
    opened_at: Timestamp
    status: Literal["open", "closed"]
    closed_at: Timestamp | None
    window_start: Timestamp
    subjects_disclosed: int = Field(description="People disclosed to the app in the window")


class IncidentSubjectPublic(Public):
    subject_id: str = Field(description="A platform subject id (for notification)")
