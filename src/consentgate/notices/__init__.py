"""Art. 19 notices to the apps that received a person's data (a room; tables ``notices``
and ``notice_outbox``): the notice objects, the outbox rows written in the same transaction
as the request step that creates them, and the dispatcher that delivers them — signed with
Standard Webhooks, retried with backoff, claimed atomically so several server processes
never send one twice at once, and never sent again once acknowledged."""

from consentgate.notices.models import Notice, NoticeType, notice_body
from consentgate.notices.outbox import NoticeDispatcher
from consentgate.notices.store import Claimed, MemoryNoticeStore, NoticeStore, SqlNoticeStore

__all__ = [
    "Claimed",
    "MemoryNoticeStore",
    "Notice",
    "NoticeDispatcher",
    "NoticeStore",
    "NoticeType",
    "SqlNoticeStore",
    "notice_body",
]
