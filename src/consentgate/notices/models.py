"""What a notice is: ``Notice`` (as kept, with its public object ``as_dict``) and the
webhook body that carries it (ids and field names, never values)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from consentgate.clock import rfc3339

__all__ = ["Notice", "NoticeType", "notice_body"]


class NoticeType(StrEnum):
    ERASURE = "erasure"
    RECTIFICATION = "rectification"
    RESTRICTION = "restriction"


@dataclass(frozen=True, slots=True)
class Notice:
    id: str
    app_id: str
    request_id: str
    type: NoticeType
    subject: str  # the app-scoped id of the person
    fields: tuple[str, ...]
    created_at: datetime
    ack_due_at: datetime
    acknowledged_at: datetime | None = None
    notified_at: datetime | None = None  # when a delivery was answered 2xx

    def as_dict(self) -> dict[str, Any]:
        """The notice object of the HTTP contract."""
        return {
            "id": self.id,
            "type": self.type.value,
            "subject": self.subject,
            "fields": list(self.fields),
            "request_id": self.request_id,
            "created_at": rfc3339(self.created_at),
            "ack_due_at": rfc3339(self.ack_due_at),
            "acknowledged_at": None
            if self.acknowledged_at is None
            else rfc3339(self.acknowledged_at),
        }


def notice_body(notice: Notice) -> bytes:
    """The webhook body: ``{"type": "notice", "notice": <notice object>}``."""
    return json.dumps(
        {"type": "notice", "notice": notice.as_dict()}, separators=(",", ":"), sort_keys=True
    ).encode()
