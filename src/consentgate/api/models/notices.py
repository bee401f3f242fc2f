"""Response models of Art. 19 notices."""

from __future__ import annotations

from pydantic import BaseModel

from consentgate.api.models.paging import PagingPublic

__all__ = ["NoticePublic", "NoticesPublic"]


class NoticePublic(BaseModel):
    id: str
    type: str
    subject: str  # the app-scoped id of the person
    fields: list[str]
    request_id: str
    created_at: str
    ack_due_at: str
    acknowledged_at: str | None


class NoticesPublic(BaseModel):
    data: list[NoticePublic]
    paging: PagingPublic
