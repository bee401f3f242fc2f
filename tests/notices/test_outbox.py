"""The notice dispatcher: each delivery signed with Standard Webhooks (verified here with
the library, as a receiver would), retried with backoff after a failure, never sent once
acknowledged, shared by several workers without a notice sent twice at once, and an app
that leaves a notice unacknowledged past ack_due_at suspended (once)."""

from __future__ import annotations

import secrets
import threading
from datetime import timedelta
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from consentgate.apps import AppRegistration, approve_app, register_app
from consentgate.catalog import Catalog
from consentgate.clock import utc_now
from consentgate.notices import Notice, NoticeDispatcher, NoticeType
from consentgate.policy import AppStatus
from consentgate.rights import Rights, open_request_store
from consentgate.sources import Source
from consentgate.stores import MemoryStores, Stores
from tests.support import OPERATOR, REGISTRATION


class Receiver:
    """A MockTransport handler that verifies every delivery and answers ``status``."""

    def __init__(self, secret: str) -> None:
        self.webhook = Webhook(secret)
        self.status = 204
        self.bodies: list[dict[str, Any]] = []
        self.ids: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = self.webhook.verify(request.content, dict(request.headers))
        with self.lock:
            if self.status < 300:
                self.bodies.append(body)
                self.ids.append(request.headers["webhook-id"])
        return httpx.Response(self.status)


def _app(stores: Stores, catalog: Catalog) -> tuple[str, str]:
    registration = AppRegistration.model_validate(
        REGISTRATION | {"notification_url": "https://recipient.example/notices"}
    )
    registered = register_app(stores.apps, catalog, registration, actor=OPERATOR)
    approve_app(stores.apps, catalog, registered.app.id, actor=OPERATOR)
    assert registered.notification_secret is not None
    return registered.app.id, registered.notification_secret


def _notice(stores: Stores, app_id: str, *, ack_days: int = 7) -> Notice:
    now = utc_now()
    notice = Notice(
        id="ntc_" + secrets.token_urlsafe(8),
        app_id=app_id,
        request_id="dsr_" + secrets.token_urlsafe(8),
        type=NoticeType.ERASURE,
        subject="scoped",
        fields=("name",),
        created_at=now,
        ack_due_at=now + timedelta(days=ack_days),
    )
    assert stores.notices.add(notice, deliver=True)
    return notice


def test_a_failed_delivery_is_retried_with_backoff_and_never_sent_after_an_ack(
    catalog: Catalog,
) -> None:
    stores = MemoryStores()
    app_id, secret = _app(stores, catalog)
    receiver = Receiver(secret)
    dispatcher = NoticeDispatcher(
        stores.notices,
        stores.apps,
        retry_base_s=0.5,
        transport=httpx.MockTransport(receiver),
    )
    notice = _notice(stores, app_id)
    receiver.status = 500
    now = utc_now()
    assert dispatcher.run_once(now) == 0
    assert dispatcher.run_once(now + timedelta(seconds=0.4)) == 0  # not due yet
    assert (
        stores.notices.claimable(now_us=int((now + timedelta(seconds=0.4)).timestamp() * 1e6)) == 0
    )
    receiver.status = 204
    assert dispatcher.run_once(now + timedelta(seconds=3)) == 1  # 0.5 s, then delivered
    assert receiver.ids == [notice.id]
    assert receiver.bodies[0] == {"type": "notice", "notice": notice.as_dict()}
    dispatcher.dispose()

    second = _notice(stores, app_id)
    stores.notices.acknowledge(app_id, second.id, at_us=1)
    dispatcher = NoticeDispatcher(
        stores.notices, stores.apps, transport=httpx.MockTransport(receiver)
    )
    assert dispatcher.run_once() == 0
    assert second.id not in receiver.ids
    dispatcher.dispose()


def test_several_workers_deliver_each_notice_once(bundle: Stores, catalog: Catalog) -> None:
    app_id, secret = _app(bundle, catalog)
    receiver = Receiver(secret)
    sent = [_notice(bundle, app_id).id for _ in range(12)]
    workers = [
        NoticeDispatcher(bundle.notices, bundle.apps, transport=httpx.MockTransport(receiver))
        for _ in range(3)
    ]
    threads = [threading.Thread(target=w.run_once) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for worker in workers:
        worker.run_once()
        worker.dispose()
    delivered = [i for i in receiver.ids if i in sent]
    assert sorted(delivered) == sorted(sent)  # each once


@pytest.mark.parametrize("enforce", [True, False])
def test_an_unacknowledged_notice_suspends_its_app_once_when_enforced(
    catalog: Catalog, source: Source, enforce: bool
) -> None:
    stores = MemoryStores()
    app_id, secret = _app(stores, catalog)
    rights = Rights(
        stores=stores,
        requests=open_request_store(stores),
        catalog=catalog,
        source=source,
        scoped_id=lambda app, subject: f"{app}:{subject}",
    )
    notice = _notice(stores, app_id, ack_days=1)
    dispatcher = NoticeDispatcher(
        stores.notices,
        stores.apps,
        enforce=rights.enforce if enforce else None,
        transport=httpx.MockTransport(Receiver(secret)),
    )
    dispatcher.run_once()
    assert stores.apps.status(app_id) is AppStatus.APPROVED  # not yet due
    dispatcher.run_once(notice.ack_due_at + timedelta(seconds=1))
    app = stores.apps.get(app_id)
    assert app is not None
    if not enforce:
        assert app.status is AppStatus.APPROVED
        return
    assert app.status is AppStatus.SUSPENDED
    assert app.status_reason is not None
    assert notice.id in app.status_reason
    [*_, event] = stores.apps.events(app_id)
    assert event.actor == "system:notice-enforcement"
    dispatcher.run_once(notice.ack_due_at + timedelta(days=1))
    assert len(stores.apps.events(app_id)) == len([*_, event])  # once
    dispatcher.dispose()
