"""The request store on SQLite, PostgreSQL and in memory: requests with their history,
status changes as compare-and-set, the queue's filters and ``overdue``, and a request step
joined to a bundle transaction (all or nothing)."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest

from consentgate.clock import to_micros
from consentgate.rights import (
    RequestEvent,
    RequestStatus,
    RequestType,
    RightsRequest,
    open_request_store,
)
from consentgate.stores import Stores
from tests.support import NOW


def _request(subject: str, kind: RequestType = RequestType.RESTRICTION) -> RightsRequest:
    return RightsRequest(
        id="dsr_" + secrets.token_urlsafe(9),
        subject_id=subject,
        type=kind,
        status=RequestStatus.IN_PROGRESS,
        received_at=NOW,
        due_at=NOW + timedelta(days=31),
        details={"ground": "unlawful"},
        created_by="subject:x",
        country="DE",
        history=(RequestEvent(NOW, RequestStatus.RECEIVED, "received", "subject:x"),),
    )


def test_requests_keep_their_history_and_change_status_by_compare_and_set(bundle: Stores) -> None:
    requests = open_request_store(bundle)
    request = _request(f"s-{secrets.token_hex(4)}")
    requests.add(request)
    assert requests.get(request.id) == request
    later = NOW + timedelta(days=1)
    done = requests.update(
        request.id,
        from_status={RequestStatus.IN_PROGRESS},
        event=RequestEvent(later, RequestStatus.COMPLETED, "lifted", "operator:op_1"),
        changes={"closed_at": later},
    )
    assert done is not None
    assert done.status is RequestStatus.COMPLETED
    assert done.closed_at == later
    assert [e.note for e in done.history] == ["received", "lifted"]
    again = requests.update(
        request.id,
        from_status={RequestStatus.IN_PROGRESS},
        event=RequestEvent(later, RequestStatus.REJECTED, "no", "operator:op_1"),
    )
    assert again is None
    with pytest.raises(ValueError, match="does not change"):
        requests.update(
            request.id,
            from_status={RequestStatus.COMPLETED},
            event=RequestEvent(later, RequestStatus.COMPLETED, "x", "x"),
            changes={"subject_id": "someone else"},
        )


def test_the_queue_filters_by_status_type_subject_and_overdue(bundle: Stores) -> None:
    requests = open_request_store(bundle)
    subject = f"q-{secrets.token_hex(4)}"
    open_one, erasure = _request(subject), _request(subject, RequestType.ERASURE)
    requests.add(open_one)
    requests.add(erasure)
    mine = requests.page(subject_id=subject)
    assert {r.id for r in mine} == {open_one.id, erasure.id}
    assert [r.id for r in requests.page(subject_id=subject, type=RequestType.ERASURE)] == [
        erasure.id
    ]
    late = to_micros(NOW + timedelta(days=40))
    assert {r.id for r in requests.page(subject_id=subject, overdue_at_us=late)} == {
        open_one.id,
        erasure.id,
    }
    assert requests.page(subject_id=subject, overdue_at_us=to_micros(NOW)) == []
    extended = requests.update(
        open_one.id,
        from_status={RequestStatus.IN_PROGRESS},
        event=RequestEvent(NOW, RequestStatus.IN_PROGRESS, "extended", "operator:op_1"),
        changes={"extended_due_at": NOW + timedelta(days=90)},
    )
    assert extended is not None
    assert [r.id for r in requests.page(subject_id=subject, overdue_at_us=late)] == [erasure.id]
    assert requests.page(subject_id=subject, status=RequestStatus.COMPLETED) == []


def test_a_request_step_commits_with_the_rooms_or_not_at_all(bundle: Stores) -> None:
    requests = open_request_store(bundle)
    request = _request(f"t-{secrets.token_hex(4)}")

    def half_way() -> None:
        with bundle.transaction() as tx:
            tx.joined(requests).add(request)
            tx.subjects.restrict(
                request.subject_id, ground="unlawful", request_id=request.id, at_us=1
            )
            raise RuntimeError("the step fails half-way")

    with pytest.raises(RuntimeError):
        half_way()
    assert requests.get(request.id) is None
    assert bundle.subjects.get(request.subject_id).empty
    with bundle.transaction() as tx:
        tx.joined(requests).add(request)
        tx.subjects.restrict(request.subject_id, ground="unlawful", request_id=request.id, at_us=1)
    assert requests.get(request.id) is not None
    assert bundle.subjects.get(request.subject_id).restricted
