"""Rights requests as library calls (in memory): deadlines from the catalog's table,
extension once and only before due_at, overdue in the queue (time-machine), rejection,
and an erasure interrupted between steps that resumes without a second notice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from consentgate.apps import approve_app, register_app
from consentgate.authz import Actor, Role
from consentgate.catalog import Catalog
from consentgate.errors import InvalidInput, InvalidTransition, StorageUnavailable
from consentgate.ledger import Entry
from consentgate.rights import (
    AccessBody,
    ErasureBody,
    ObjectionBody,
    RequestStatus,
    Rights,
    open_request_store,
)
from consentgate.stores import MemoryStores
from consentgate.testing.platform import MemoryPlatform
from tests.support import OPERATOR, REGISTRATION

DPO = Actor.operator("op_dpo", Role.DPO)


def _rights(catalog: Catalog) -> tuple[Rights, MemoryPlatform]:
    stores = MemoryStores()
    platform = MemoryPlatform(
        {
            "eu": {"name": "Eva", "country": "DE", "birthday": "1990-01-01"},
            "us": {"name": "Sam", "country": "US", "birthday": "1990-01-01"},
        }
    )
    rights = Rights(
        stores=stores,
        requests=open_request_store(stores),
        catalog=catalog,
        source=platform,
        scoped_id=lambda app, subject: f"scoped:{app}:{subject}",
    )
    return rights, platform


@pytest.mark.parametrize(
    ("subject", "received", "due"),
    [
        ("eu", datetime(2027, 1, 31, 9, tzinfo=UTC), datetime(2027, 2, 28, 9, tzinfo=UTC)),
        ("eu", datetime(2028, 1, 31, 9, tzinfo=UTC), datetime(2028, 2, 29, 9, tzinfo=UTC)),
        ("us", datetime(2027, 1, 31, 9, tzinfo=UTC), datetime(2027, 3, 17, 9, tzinfo=UTC)),
    ],
)
def test_due_at_comes_from_the_country_row(
    catalog: Catalog, subject: str, received: datetime, due: datetime
) -> None:
    rights, _ = _rights(catalog)
    request = rights.submit(subject, AccessBody(type="access"), actor=OPERATOR, now=received)
    assert request.due_at == due
    assert request.status is RequestStatus.COMPLETED


def test_an_extension_is_once_before_due_at_and_within_the_row(catalog: Catalog) -> None:
    rights, _ = _rights(catalog)
    received = datetime(2027, 1, 31, 9, tzinfo=UTC)
    with time_machine.travel(received, tick=False):
        request = rights.submit(
            "eu", ObjectionBody(type="objection", purposes=["analytics"]), actor=OPERATOR
        )
    with time_machine.travel(received + timedelta(days=10), tick=False):
        with pytest.raises(InvalidInput):
            rights.extend(request.id, by=3, reason="too much", actor=DPO)
        extended = rights.extend(request.id, by=2, reason="complex", actor=DPO)
        assert extended.extended_due_at == datetime(2027, 4, 30, 9, tzinfo=UTC)
        assert extended.history[-1].actor == "operator:op_dpo"
        with pytest.raises(InvalidTransition, match="once"):
            rights.extend(request.id, by=1, reason="again", actor=DPO)
    with time_machine.travel(datetime(2027, 3, 1, tzinfo=UTC), tick=False):
        assert rights.page(overdue=True) == []
    with time_machine.travel(datetime(2027, 5, 1, tzinfo=UTC), tick=False):
        assert [r.id for r in rights.page(overdue=True)] == [request.id]


def test_no_extension_after_due_at_and_overdue_requests_are_listed(catalog: Catalog) -> None:
    rights, _ = _rights(catalog)
    received = datetime(2027, 6, 1, tzinfo=UTC)
    request = rights.submit(
        "us", ObjectionBody(type="objection", purposes=["analytics"]), actor=OPERATOR, now=received
    )
    late = received + timedelta(days=46)
    with pytest.raises(InvalidTransition, match="past its due_at"):
        rights.extend(request.id, by=45, reason="late", actor=DPO, now=late)
    assert [r.id for r in rights.page(overdue=True, now=late)] == [request.id]
    rejected = rights.reject(request.id, reason="unfounded", actor=DPO, now=late)
    assert rejected.status is RequestStatus.REJECTED
    assert rights.stores.subjects.get("us").empty  # the objection ended with it
    assert rights.page(overdue=True, now=late) == []


def test_an_interrupted_erasure_resumes_and_notifies_each_recipient_once(
    catalog: Catalog,
) -> None:
    rights, platform = _rights(catalog)
    stores = rights.stores
    app_id = register_app(stores.apps, catalog, REGISTRATION, actor=OPERATOR).app.id
    approve_app(stores.apps, catalog, app_id, actor=OPERATOR)
    stores.ledger.append(
        [
            Entry(
                subject_id="eu",
                app_id=app_id,
                fields=("name",),
                purpose="analytics",
                basis="consent",
                consent_id="cns_x",
                request_id="req_x",
                at_us=1_800_000_000_000_000,
            )
        ]
    )
    erase = platform.erase

    def down(subject_id: str) -> None:
        raise StorageUnavailable("the platform is down")

    platform.erase = down  # type: ignore[method-assign]
    with pytest.raises(StorageUnavailable):
        rights.submit("eu", ErasureBody(type="erasure"), actor=Actor.subject("eu"))
    [request] = rights.page(subject_id="eu")
    assert request.step == "notices_written"
    assert request.status is RequestStatus.IN_PROGRESS
    with pytest.raises(InvalidTransition, match="under way"):
        rights.reject(request.id, reason="no", actor=DPO)
    platform.erase = erase  # type: ignore[method-assign]
    assert rights.resume() == 1
    [done] = rights.page(subject_id="eu")
    assert done.step == "key_shredded"
    assert "eu" in platform.erased
    [notice] = stores.notices.of_request(done.id)
    assert notice.app_id == app_id
    assert rights.resume() == 0
    rights.acknowledge(app_id, notice.id)
    final = rights.get(done.id)
    assert final.status is RequestStatus.COMPLETED
    assert final.closed_at is not None
    assert [e.status for e in final.history][-1] is RequestStatus.COMPLETED
