"""What an app sees of its Art. 19 notices (``routes/notices.py``)."""

from __future__ import annotations

from pydantic import Field

from consentgate.api.models.base import Public
from consentgate.api.paging import Page

__all__ = ["NoticePage", "NoticePublic"]


class NoticePublic(Public):
    id: str
    type: str = Field(description="erasure, rectification or restriction")
    subject: str = Field(description="The person's id as this app knows them (app-scoped)")
    fields: list[str]
    request_id: str
    created_at: str
    ack_due_at: str
    acknowledged_at: str | None


class NoticePage(Page[NoticePublic]):
    pass
