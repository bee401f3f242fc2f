"""Art. 19 notices of a request step: one per recipient the ledger names, written in the
step's transaction (notices room), each with the person's app-scoped id and the fields that
app received — for a rectification, only the changed fields it received."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from typing import Any

from consentgate.clock import rfc3339
from consentgate.notices import Notice, NoticeType
from consentgate.rights.models import RightsRequest
from consentgate.stores import Stores

__all__ = ["recipients_view", "write_notices"]


def write_notices(
    tx: Stores,
    request: RightsRequest,
    *,
    kind: NoticeType,
    scoped_id: Callable[[str, str], str],
    ack_days: int,
    now: datetime,
    only_fields: Collection[str] | None = None,
) -> list[Notice]:
    """A notice (and its outbox row, when the app has a ``notification_url``) to every app
    that received the person's data; for ``only_fields``, to those that received one of them
    (naming only those). A notice the request already has is kept, not written again."""
    written = []
    for recipient in tx.ledger.recipients_of(request.subject_id):
        fields = [f for f in recipient.fields if only_fields is None or f in set(only_fields)]
        if not fields:
            continue
        notice = Notice(
            id="ntc_" + secrets.token_urlsafe(12),
            app_id=recipient.app_id,
            request_id=request.id,
            type=kind,
            subject=scoped_id(recipient.app_id, request.subject_id),
            fields=tuple(fields),
            created_at=now,
            ack_due_at=now + timedelta(days=ack_days),
        )
        target = tx.apps.notification_target(recipient.app_id)
        if tx.notices.add(notice, deliver=target is not None):
            written.append(notice)
    return written


def recipients_view(stores: Stores, request: RightsRequest) -> list[dict[str, Any]]:
    """The request's ``recipients``: its notices with each app's name (one query for the
    names)."""
    found = stores.notices.of_request(request.id)
    names = {a.id: a.name for a in stores.apps.many({n.app_id for n in found}).values()}
    return [
        {
            "app_id": notice.app_id,
            "app_name": names.get(notice.app_id),
            "fields": list(notice.fields),
            "notice_id": notice.id,
            "notified_at": None if notice.notified_at is None else rfc3339(notice.notified_at),
            "acknowledged_at": None
            if notice.acknowledged_at is None
            else rfc3339(notice.acknowledged_at),
        }
        for notice in found
    ]
