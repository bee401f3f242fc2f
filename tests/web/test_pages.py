"""The console's queue as rendered: an open request past its deadline is marked "Overdue"
and listed first; one closed, or extended past now, is not (no server needed: the
template is rendered with the library's own ``RightsRequest``)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from consentgate.rights.models import RequestStatus, RequestType, RightsRequest
from consentgate.web.console_more import queue_order
from consentgate.web.pages import render_text

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def _request(name: str, due: timedelta, status: RequestStatus, **extra: object) -> RightsRequest:
    return RightsRequest(
        id=f"dsr_{name}",
        subject_id="1",
        type=RequestType.ERASURE,
        status=status,
        received_at=NOW - timedelta(days=40),
        due_at=NOW + due,
        details={},
        created_by="subject:1",
        **extra,  # type: ignore[arg-type]
    )


def test_overdue_requests_are_marked_and_first() -> None:
    late = _request("late", -timedelta(days=2), RequestStatus.RECEIVED)
    extended = _request(
        "extended",
        -timedelta(days=2),
        RequestStatus.IN_PROGRESS,
        extended_due_at=NOW + timedelta(days=20),
    )
    closed = _request("closed", -timedelta(days=5), RequestStatus.COMPLETED)
    fresh = _request("fresh", timedelta(days=9), RequestStatus.RECEIVED)
    ordered = queue_order([fresh, closed, extended, late], NOW)
    assert [r.id for r in ordered] == ["dsr_late", "dsr_fresh", "dsr_extended", "dsr_closed"]
    html = render_text(
        "console/requests.html",
        {"requests": ordered, "now": NOW, "session": None, "csrf": "", "path": "/console/requests"},
    )
    rows = re.findall(r"<tr.*?</tr>", html, flags=re.S)[1:]
    ids = [re.findall(r"dsr_\w+", row)[0] for row in rows]
    assert ids == ["dsr_late", "dsr_fresh", "dsr_extended", "dsr_closed"]
    assert [i for i, row in zip(ids, rows, strict=True) if "Overdue" in row] == ["dsr_late"]
