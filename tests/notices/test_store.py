"""The notice store and its outbox on SQLite, PostgreSQL and in memory: one notice per
(request, app), claims that only one worker wins, retries, acknowledgement closing the row,
overdue notices enforced once."""

from __future__ import annotations

import secrets
from datetime import timedelta

from consentgate.apps import register_app
from consentgate.clock import from_micros, to_micros
from consentgate.notices import Notice, NoticeType
from consentgate.stores import Stores
from tests.support import NOW, OPERATOR, REGISTRATION


def _notice(app_id: str, request_id: str, *, days: int = 7) -> Notice:
    return Notice(
        id="ntc_" + secrets.token_urlsafe(8),
        app_id=app_id,
        request_id=request_id,
        type=NoticeType.ERASURE,
        subject="scoped-id",
        fields=("name",),
        created_at=NOW,
        ack_due_at=NOW + timedelta(days=days),
    )


def test_one_notice_per_request_and_app_and_one_claim_per_row(bundle: Stores, catalog) -> None:  # type: ignore[no-untyped-def]
    app_id = register_app(bundle.apps, catalog, REGISTRATION, actor=OPERATOR).app.id
    request_id = "dsr_" + secrets.token_urlsafe(6)
    first = _notice(app_id, request_id)
    assert bundle.notices.add(first, deliver=True)
    assert not bundle.notices.add(_notice(app_id, request_id), deliver=True)
    assert [n.id for n in bundle.notices.of_request(request_id)] == [first.id]

    now = to_micros(NOW)
    mine = bundle.notices.claim(worker="w1", now_us=now, lease_us=60_000_000, limit=10)
    theirs = bundle.notices.claim(worker="w2", now_us=now + 1, lease_us=60_000_000, limit=10)
    assert first.id in [c.notice.id for c in mine]
    assert first.id not in [c.notice.id for c in theirs]
    # the lease ends: another worker may take it (a crashed worker never loses a notice)
    later = bundle.notices.claim(worker="w2", now_us=now + 61_000_000, lease_us=1, limit=10)
    assert first.id in [c.notice.id for c in later]

    bundle.notices.failed(
        first.id, worker="w2", at_us=now, next_attempt_us=now + 4_000_000, error="HTTP 500"
    )
    assert first.id not in [
        c.notice.id for c in bundle.notices.claim(worker="w3", now_us=now + 1, lease_us=1, limit=10)
    ]
    [retry] = [
        c
        for c in bundle.notices.claim(worker="w3", now_us=now + 5_000_000, lease_us=1, limit=10)
        if c.notice.id == first.id
    ]
    assert retry.attempts == 1

    acknowledged = bundle.notices.acknowledge(app_id, first.id, at_us=now + 6)
    assert acknowledged is not None
    assert acknowledged.acknowledged_at == from_micros(now + 6)
    assert bundle.notices.acknowledge("app_other", first.id, at_us=now) is None
    assert first.id not in [
        c.notice.id
        for c in bundle.notices.claim(worker="w4", now_us=now + 10**9, lease_us=1, limit=10)
    ]


def test_delivery_and_overdue_enforcement_happen_once(bundle: Stores, catalog) -> None:  # type: ignore[no-untyped-def]
    app_id = register_app(bundle.apps, catalog, REGISTRATION, actor=OPERATOR).app.id
    notice = _notice(app_id, "dsr_" + secrets.token_urlsafe(6), days=1)
    bundle.notices.add(notice, deliver=True)
    now = to_micros(NOW)
    bundle.notices.claim(worker="w", now_us=now, lease_us=10, limit=100)
    bundle.notices.delivered(notice.id, worker="w", at_us=now + 1)
    stored = bundle.notices.get(notice.id)
    assert stored is not None
    assert stored.notified_at == from_micros(now + 1)
    assert notice.id not in [n.id for n in bundle.notices.overdue(now_us=now)]
    due = to_micros(notice.ack_due_at)
    assert notice.id in [n.id for n in bundle.notices.overdue(now_us=due)]
    assert bundle.notices.mark_enforced(notice.id, at_us=due)
    assert not bundle.notices.mark_enforced(notice.id, at_us=due)
    assert notice.id not in [n.id for n in bundle.notices.overdue(now_us=due)]
    assert [n.id for n in bundle.notices.page(app_id, acknowledged=False)] == [notice.id]
    assert bundle.notices.page(app_id, acknowledged=True) == []
