"""Personal data breaches (``routes/breaches.py``): the breach object with its scope,
severity, FTC flag, exposure and clock; the affected people with their notices; the
Art. 33(3) report. Times are RFC 3339 UTC strings (``Z``), as the v2 contract has them."""

from __future__ import annotations

from typing import Any, Literal

from consentgate.api.models.base import Public
from consentgate.api.paging import Paging

__all__ = [
    "AuthorityPublic",
    "BreachPublic",
    "BreachSubjectPublic",
    "BreachSubjectsPagePublic",
    "ConcernedAuthorityPublic",
    "ReportPublic",
    "ScopePublic",
]

Status = Literal["assessing", "notified", "not_notifiable", "closed"]


class AuthorityPublic(Public):
    country: str
    name: str
    url: str
    note: str | None = None


class ConcernedAuthorityPublic(AuthorityPublic):
    subjects: int
    lead: bool


class ScopePublic(Public):
    subjects: int
    records: int
    by_country: dict[str, int]
    by_field: dict[str, int]
    special_category_subjects: int
    minors: int
    lead_authority: AuthorityPublic | None
    authorities: list[ConcernedAuthorityPublic]
    linkable_subjects: int
    unlinked_subjects: int
    age_unknown_subjects: int
    engine: str


class SeverityPublic(Public):
    method: str
    dpc: int
    ei: float
    cb: float
    score: float
    level: Literal["low", "medium", "high", "very_high"]
    inputs: dict[str, Any]


class FtcPublic(Public):
    covered: bool
    threshold: int
    report_due_at: str | None


class ExposurePublic(Public):
    article: Literal["83(4)", "83(5)"]
    max_eur: int
    fixed_eur: int
    percent_of_turnover: int
    turnover_eur: int | None
    because: str


class AssessmentPublic(Public):
    notifiable: bool
    reason: str
    at: str
    actor: str


class ClockPublic(Public):
    hours_left: float
    overdue: bool
    stopped: bool


class BreachEventPublic(Public):
    event: str
    detail: dict[str, Any]
    at: str
    actor: str


class BreachPublic(Public):
    id: str
    incident_id: str | None
    app_id: str
    status: Status
    description: str
    discovered_at: str
    authority_due_at: str
    authority_notified_at: str | None
    authority: str | None
    reference: str | None
    late_reason: str | None
    window_start: str
    window_end: str
    scope: ScopePublic
    severity: SeverityPublic
    ftc: FtcPublic
    exposure: ExposurePublic
    assessment: AssessmentPublic | None
    opened_at: str
    opened_by: str
    closed_at: str | None
    clock: ClockPublic
    history: list[BreachEventPublic] | None = None


class BreachSubjectPublic(Public):
    subject_id: str
    fields: list[str]
    first_at: str
    last_at: str
    records: int
    country: str | None
    notice: str


class BreachSubjectsPagePublic(Public):
    breach_id: str
    data: list[BreachSubjectPublic]
    paging: Paging


class ReportPublic(Public):
    breach_id: str
    article: str
    generated_at: str
    status: Status
    addressed_to: AuthorityPublic | None
    concerned_authorities: list[ConcernedAuthorityPublic]
    controller: dict[str, str]
    dpo: dict[str, str]
    nature: dict[str, Any]
    likely_consequences: list[str]
    measures_taken: list[str]
    measures_proposed: list[str]
    timeline: list[dict[str, str | None]]
    authority_due_at: str
    authority_notified_at: str | None
    late_reason: str | None
    severity: SeverityPublic
    ftc: FtcPublic
    exposure: ExposurePublic
