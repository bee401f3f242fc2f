"""A personal data breach as stored (GDPR Art. 33, 34): the app whose disclosures it
concerns, its window, when it was discovered, its computed scope and assessment, where it
stands — ``assessing`` → ``notified`` | ``not_notifiable`` → ``closed`` — and who took
each step (``BreachEvent``). ``BreachSubject`` is one affected person, kept inside the
server for the Art. 34 notices; ids are ``brc_…``, sorted by opening time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from consentgate.clock import rfc3339

__all__ = [
    "ASSESSING",
    "AUTHORITY_DEADLINE",
    "CLOSED",
    "NOTIFIED",
    "NOT_NOTIFIABLE",
    "STATUSES",
    "Breach",
    "BreachEvent",
    "BreachSubject",
]

ASSESSING = "assessing"
NOTIFIED = "notified"
NOT_NOTIFIABLE = "not_notifiable"
CLOSED = "closed"
STATUSES = (ASSESSING, NOTIFIED, NOT_NOTIFIABLE, CLOSED)

# GDPR Art. 33(1): "where feasible, not later than 72 hours after having become aware"
AUTHORITY_DEADLINE = timedelta(hours=72)


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else rfc3339(moment)


@dataclass(frozen=True)
class Breach:
    id: str
    incident_id: str | None
    app_id: str
    status: str
    description: str
    discovered_at: datetime
    window_start: datetime
    window_end: datetime
    scope: dict[str, Any]
    severity: dict[str, Any]
    ftc: dict[str, Any]
    exposure: dict[str, Any]
    opened_at: datetime
    opened_by: str  # ``Actor.ref``
    authority_notified_at: datetime | None = None
    authority: str | None = None
    reference: str | None = None
    late_reason: str | None = None
    assessment: dict[str, Any] | None = None  # {"notifiable", "reason", "at", "actor"}
    closed_at: datetime | None = None

    @property
    def authority_due_at(self) -> datetime:
        return self.discovered_at + AUTHORITY_DEADLINE

    def as_dict(self, *, now: datetime | None = None) -> dict[str, Any]:
        """The breach object of the HTTP contract; ``now`` adds the clock (hours left on
        the 72 hours, whether it is overdue)."""
        body: dict[str, Any] = {
            "id": self.id,
            "incident_id": self.incident_id,
            "app_id": self.app_id,
            "status": self.status,
            "description": self.description,
            "discovered_at": rfc3339(self.discovered_at),
            "authority_due_at": rfc3339(self.authority_due_at),
            "authority_notified_at": _time(self.authority_notified_at),
            "authority": self.authority,
            "reference": self.reference,
            "late_reason": self.late_reason,
            "window_start": rfc3339(self.window_start),
            "window_end": rfc3339(self.window_end),
            "scope": self.scope,
            "severity": self.severity,
            "ftc": self.ftc,
            "exposure": self.exposure,
            "assessment": self.assessment,
            "opened_at": rfc3339(self.opened_at),
            "opened_by": self.opened_by,
            "closed_at": _time(self.closed_at),
        }
        if now is not None:
            body["clock"] = self.clock(now)
        return body

    def clock(self, now: datetime) -> dict[str, Any]:
        """The 72-hour clock at ``now``: stopped once the authority was notified."""
        stop = self.authority_notified_at or now
        left = (self.authority_due_at - stop).total_seconds() / 3600
        return {
            "hours_left": round(max(left, 0.0), 2),
            "overdue": left < 0,
            "stopped": self.authority_notified_at is not None,
        }


@dataclass(frozen=True)
class BreachEvent:
    """One step of a breach, with who took it (``Actor.ref``)."""

    event: str
    detail: dict[str, Any]
    at: datetime
    actor: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "event": self.event,
            "detail": self.detail,
            "at": rfc3339(self.at),
            "actor": self.actor,
        }


@dataclass(frozen=True)
class BreachSubject:
    """One affected person still linkable: what the app got of theirs in the window."""

    subject_id: str
    fields: tuple[str, ...]
    first_at: datetime
    last_at: datetime
    records: int
    country: str  # "" when unknown
