"""An incident as stored: the app, the rule that fired, its evidence, its window, how many
people it disclosed, and whether an operator has closed it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["CLOSED", "OPEN", "Incident"]

OPEN = "open"
CLOSED = "closed"


@dataclass(frozen=True)
class Incident:
    id: str
    app_id: str
    rule: str
    evidence: dict[str, Any]
    opened_at: datetime
    status: str
    closed_at: datetime | None
    window_start: datetime
    subjects_disclosed: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "app_id": self.app_id,
            "rule": self.rule,
            "evidence": self.evidence,
            "opened_at": self.opened_at.isoformat(),
            "status": self.status,
            "closed_at": None if self.closed_at is None else self.closed_at.isoformat(),
            "window_start": self.window_start.isoformat(),
            "subjects_disclosed": self.subjects_disclosed,
        }
