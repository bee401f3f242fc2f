"""Where notices and their outbox are kept (tables ``notices``, ``notice_outbox``): the
``NoticeStore`` protocol, its SQL implementation and an in-memory twin.

A notice is one per (request, app): adding it again is a no-op, so a resumed erasure never
notifies twice. Its outbox row (when the app has a ``notification_url``) is written in the
same call — inside the caller's transaction when the store is bound to one. Deliveries are
claimed row by row with a compare-and-set (``claimed_until_us`` in the past, not done, the
notice not acknowledged), so of several workers — threads or server processes — exactly one
holds a row until its lease ends; acknowledging a notice closes its row, so nothing is sent
once the app has said it has it.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import and_, insert, or_, select, update

from consentgate.clock import from_micros, to_micros
from consentgate.notices.models import Notice, NoticeType
from consentgate.storage.database import SqlStore
from consentgate.storage.tables import notice_outbox, notices

__all__ = ["Claimed", "MemoryNoticeStore", "NoticeStore", "SqlNoticeStore"]


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery a worker holds until ``until_us``: the notice and how often it was tried."""

    notice: Notice
    attempts: int


class NoticeStore(Protocol):
    def add(self, notice: Notice, *, deliver: bool) -> bool:
        """Store ``notice`` (with an outbox row when ``deliver``); False when the request
        already has a notice for that app (nothing changes)."""
        ...

    def get(self, notice_id: str) -> Notice | None: ...

    def of_app(self, app_id: str, notice_id: str) -> Notice | None:
        """The app's own notice (another app's is None)."""
        ...

    def page(
        self,
        app_id: str,
        *,
        acknowledged: bool | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> list[Notice]:
        """The app's notices by id, after ``after``; ``acknowledged`` filters."""
        ...

    def of_request(self, request_id: str) -> list[Notice]: ...

    def acknowledge(self, app_id: str, notice_id: str, *, at_us: int) -> Notice | None:
        """Acknowledge (once; again is a no-op) and close the outbox row; None when the
        app has no such notice."""
        ...

    def claim(self, *, worker: str, now_us: int, lease_us: int, limit: int) -> list[Claimed]:
        """Up to ``limit`` due deliveries, each held by ``worker`` for ``lease_us``."""
        ...

    def delivered(self, notice_id: str, *, worker: str, at_us: int) -> None: ...

    def failed(
        self, notice_id: str, *, worker: str, at_us: int, next_attempt_us: int, error: str
    ) -> None: ...

    def undelivered(self) -> int:
        """Outbox rows not done yet."""
        ...

    def claimable(self, *, now_us: int) -> int:
        """Outbox rows a worker could claim at ``now_us``."""
        ...

    def overdue(self, *, now_us: int, limit: int = 100) -> list[Notice]:
        """Notices unacknowledged at ``ack_due_at`` whose app was not yet suspended for them."""
        ...

    def mark_enforced(self, notice_id: str, *, at_us: int) -> bool:
        """Record that the notice's app was suspended for it (once: False the second time)."""
        ...


class SqlNoticeStore(SqlStore):
    def add(self, notice: Notice, *, deliver: bool) -> bool:
        with self._writing() as connection:
            existing = connection.execute(
                select(notices.c.id).where(
                    notices.c.request_id == notice.request_id, notices.c.app_id == notice.app_id
                )
            ).first()
            if existing is not None:
                return False
            connection.execute(insert(notices), [_row(notice)])
            if deliver:
                connection.execute(
                    insert(notice_outbox),
                    [
                        {
                            "notice_id": notice.id,
                            "attempts": 0,
                            "next_attempt_us": to_micros(notice.created_at),
                            "claimed_by": None,
                            "claimed_until_us": None,
                            "done_us": None,
                            "last_error": None,
                        }
                    ],
                )
            return True

    def get(self, notice_id: str) -> Notice | None:
        with self._reading() as connection:
            row = connection.execute(select(notices).where(notices.c.id == notice_id)).first()
        return None if row is None else _from_row(row._mapping)

    def of_app(self, app_id: str, notice_id: str) -> Notice | None:
        found = self.get(notice_id)
        return found if found is not None and found.app_id == app_id else None

    def page(
        self,
        app_id: str,
        *,
        acknowledged: bool | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> list[Notice]:
        statement = (
            select(notices)
            .where(notices.c.app_id == app_id)
            .order_by(notices.c.id)
            .limit(max(1, min(limit, 1001)))
        )
        if acknowledged is True:
            statement = statement.where(notices.c.acknowledged_us.is_not(None))
        elif acknowledged is False:
            statement = statement.where(notices.c.acknowledged_us.is_(None))
        if after is not None:
            statement = statement.where(notices.c.id > after)
        with self._reading() as connection:
            return [_from_row(row) for row in connection.execute(statement).mappings()]

    def of_request(self, request_id: str) -> list[Notice]:
        statement = select(notices).where(notices.c.request_id == request_id)
        with self._reading() as connection:
            rows = connection.execute(statement.order_by(notices.c.app_id)).mappings()
            return [_from_row(row) for row in rows]

    def acknowledge(self, app_id: str, notice_id: str, *, at_us: int) -> Notice | None:
        with self._writing() as connection:
            connection.execute(
                update(notices)
                .where(
                    notices.c.id == notice_id,
                    notices.c.app_id == app_id,
                    notices.c.acknowledged_us.is_(None),
                )
                .values(acknowledged_us=at_us)
            )
            connection.execute(
                update(notice_outbox)
                .where(notice_outbox.c.notice_id == notice_id, notice_outbox.c.done_us.is_(None))
                .values(done_us=at_us)
            )
            row = connection.execute(
                select(notices).where(notices.c.id == notice_id, notices.c.app_id == app_id)
            ).first()
        return None if row is None else _from_row(row._mapping)

    def claim(self, *, worker: str, now_us: int, lease_us: int, limit: int) -> list[Claimed]:
        due = _due(now_us, limit)
        claimed: list[Claimed] = []
        with self._reading() as connection:
            candidates = [row[0] for row in connection.execute(due)]
        for notice_id in candidates:
            take = (
                update(notice_outbox)
                .where(
                    notice_outbox.c.notice_id == notice_id,
                    notice_outbox.c.done_us.is_(None),
                    or_(
                        notice_outbox.c.claimed_until_us.is_(None),
                        notice_outbox.c.claimed_until_us < now_us,
                    ),
                )
                .values(claimed_by=worker, claimed_until_us=now_us + lease_us)
            )
            with self._writing() as connection:  # one compare-and-set per row
                if connection.execute(take).rowcount != 1:
                    continue  # another worker took it
                row = connection.execute(
                    select(notices, notice_outbox.c.attempts)
                    .join(notice_outbox, notice_outbox.c.notice_id == notices.c.id)
                    .where(notices.c.id == notice_id)
                ).first()
            if row is not None:
                claimed.append(Claimed(_from_row(row._mapping), int(row._mapping["attempts"])))
        return claimed

    def delivered(self, notice_id: str, *, worker: str, at_us: int) -> None:
        with self._writing() as connection:
            connection.execute(
                update(notice_outbox)
                .where(notice_outbox.c.notice_id == notice_id)
                .values(
                    done_us=at_us,
                    attempts=notice_outbox.c.attempts + 1,
                    claimed_by=None,
                    claimed_until_us=None,
                    last_error=None,
                )
            )
            connection.execute(
                update(notices)
                .where(notices.c.id == notice_id, notices.c.notified_us.is_(None))
                .values(notified_us=at_us)
            )

    def failed(
        self, notice_id: str, *, worker: str, at_us: int, next_attempt_us: int, error: str
    ) -> None:
        with self._writing() as connection:
            connection.execute(
                update(notice_outbox)
                .where(notice_outbox.c.notice_id == notice_id, notice_outbox.c.claimed_by == worker)
                .values(
                    attempts=notice_outbox.c.attempts + 1,
                    next_attempt_us=next_attempt_us,
                    claimed_by=None,
                    claimed_until_us=None,
                    last_error=error[:200],
                )
            )

    def undelivered(self) -> int:
        with self._reading() as connection:
            rows = connection.execute(
                select(notice_outbox.c.notice_id)
                .join(notices, notices.c.id == notice_outbox.c.notice_id)
                .where(notice_outbox.c.done_us.is_(None), notices.c.acknowledged_us.is_(None))
            )
            return len(rows.all())

    def claimable(self, *, now_us: int) -> int:
        with self._reading() as connection:
            return len(connection.execute(_due(now_us, 1000)).all())

    def overdue(self, *, now_us: int, limit: int = 100) -> list[Notice]:
        statement = (
            select(notices)
            .where(
                notices.c.acknowledged_us.is_(None),
                notices.c.enforced_us.is_(None),
                notices.c.ack_due_us <= now_us,
            )
            .order_by(notices.c.ack_due_us)
            .limit(limit)
        )
        with self._reading() as connection:
            return [_from_row(row) for row in connection.execute(statement).mappings()]

    def mark_enforced(self, notice_id: str, *, at_us: int) -> bool:
        statement = (
            update(notices)
            .where(
                and_(
                    notices.c.id == notice_id,
                    notices.c.enforced_us.is_(None),
                    notices.c.acknowledged_us.is_(None),
                )
            )
            .values(enforced_us=at_us)
        )
        with self._writing() as connection:
            return bool(connection.execute(statement).rowcount == 1)


def _due(now_us: int, limit: int) -> Any:
    """The outbox rows a worker may claim at ``now_us``, soonest first."""
    return (
        select(notice_outbox.c.notice_id)
        .join(notices, notices.c.id == notice_outbox.c.notice_id)
        .where(
            notice_outbox.c.done_us.is_(None),
            notice_outbox.c.next_attempt_us <= now_us,
            notices.c.acknowledged_us.is_(None),
            or_(
                notice_outbox.c.claimed_until_us.is_(None),
                notice_outbox.c.claimed_until_us < now_us,
            ),
        )
        .order_by(notice_outbox.c.next_attempt_us)
        .limit(limit)
    )


def _row(notice: Notice) -> dict[str, Any]:
    return {
        "id": notice.id,
        "app_id": notice.app_id,
        "request_id": notice.request_id,
        "type": notice.type.value,
        "subject": notice.subject,
        "fields": list(notice.fields),
        "created_us": to_micros(notice.created_at),
        "ack_due_us": to_micros(notice.ack_due_at),
        "acknowledged_us": None,
        "notified_us": None,
        "enforced_us": None,
    }


def _from_row(row: Any) -> Notice:
    return Notice(
        id=row["id"],
        app_id=row["app_id"],
        request_id=row["request_id"],
        type=NoticeType(row["type"]),
        subject=row["subject"],
        fields=tuple(row["fields"]),
        created_at=from_micros(row["created_us"]),
        ack_due_at=from_micros(row["ack_due_us"]),
        acknowledged_at=None
        if row["acknowledged_us"] is None
        else from_micros(row["acknowledged_us"]),
        notified_at=None if row["notified_us"] is None else from_micros(row["notified_us"]),
    )


@dataclass
class _Outbox:
    attempts: int
    next_attempt_us: int
    claimed_by: str | None = None
    claimed_until_us: int | None = None
    done_us: int | None = None
    last_error: str | None = None


class MemoryNoticeStore:
    """The same, in memory, for fast tests."""

    def __init__(self, *, lock: threading.RLock | None = None) -> None:
        self._lock = lock or threading.RLock()
        self._notices: dict[str, Notice] = {}
        self._enforced: set[str] = set()
        self._outbox: dict[str, _Outbox] = {}

    def snapshot(self) -> Any:
        with self._lock:
            return dict(self._notices), set(self._enforced), copy.deepcopy(self._outbox)

    def restore(self, state: Any) -> None:
        with self._lock:
            self._notices, self._enforced, self._outbox = state

    def add(self, notice: Notice, *, deliver: bool) -> bool:
        with self._lock:
            if any(
                n.request_id == notice.request_id and n.app_id == notice.app_id
                for n in self._notices.values()
            ):
                return False
            self._notices[notice.id] = notice
            if deliver:
                self._outbox[notice.id] = _Outbox(0, to_micros(notice.created_at))
            return True

    def get(self, notice_id: str) -> Notice | None:
        with self._lock:
            return self._notices.get(notice_id)

    def of_app(self, app_id: str, notice_id: str) -> Notice | None:
        found = self.get(notice_id)
        return found if found is not None and found.app_id == app_id else None

    def page(
        self,
        app_id: str,
        *,
        acknowledged: bool | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> list[Notice]:
        with self._lock:
            found = sorted(
                (n for n in self._notices.values() if n.app_id == app_id), key=lambda n: n.id
            )
        if acknowledged is not None:
            found = [n for n in found if (n.acknowledged_at is not None) is acknowledged]
        if after is not None:
            found = [n for n in found if n.id > after]
        return found[: max(1, min(limit, 1001))]

    def of_request(self, request_id: str) -> list[Notice]:
        with self._lock:
            found = [n for n in self._notices.values() if n.request_id == request_id]
        return sorted(found, key=lambda n: n.app_id)

    def acknowledge(self, app_id: str, notice_id: str, *, at_us: int) -> Notice | None:
        with self._lock:
            notice = self.of_app(app_id, notice_id)
            if notice is None:
                return None
            if notice.acknowledged_at is None:
                notice = dataclasses.replace(notice, acknowledged_at=from_micros(at_us))
                self._notices[notice_id] = notice
            box = self._outbox.get(notice_id)
            if box is not None and box.done_us is None:
                box.done_us = at_us
            return notice

    def _due(self, now_us: int) -> list[tuple[int, str]]:
        return sorted(
            (box.next_attempt_us, notice_id)
            for notice_id, box in self._outbox.items()
            if box.done_us is None
            and box.next_attempt_us <= now_us
            and self._notices[notice_id].acknowledged_at is None
            and (box.claimed_until_us is None or box.claimed_until_us < now_us)
        )

    def claimable(self, *, now_us: int) -> int:
        with self._lock:
            return len(self._due(now_us))

    def claim(self, *, worker: str, now_us: int, lease_us: int, limit: int) -> list[Claimed]:
        with self._lock:
            due = self._due(now_us)[:limit]
            claimed = []
            for _, notice_id in due:
                box = self._outbox[notice_id]
                box.claimed_by, box.claimed_until_us = worker, now_us + lease_us
                claimed.append(Claimed(self._notices[notice_id], box.attempts))
            return claimed

    def delivered(self, notice_id: str, *, worker: str, at_us: int) -> None:
        with self._lock:
            box = self._outbox[notice_id]
            box.done_us, box.attempts = at_us, box.attempts + 1
            box.claimed_by = box.claimed_until_us = box.last_error = None
            notice = self._notices[notice_id]
            if notice.notified_at is None:
                self._notices[notice_id] = dataclasses.replace(
                    notice, notified_at=from_micros(at_us)
                )

    def failed(
        self, notice_id: str, *, worker: str, at_us: int, next_attempt_us: int, error: str
    ) -> None:
        with self._lock:
            box = self._outbox[notice_id]
            if box.claimed_by != worker:
                return
            box.attempts += 1
            box.next_attempt_us = next_attempt_us
            box.claimed_by = box.claimed_until_us = None
            box.last_error = error[:200]

    def undelivered(self) -> int:
        with self._lock:
            return sum(
                1
                for notice_id, box in self._outbox.items()
                if box.done_us is None and self._notices[notice_id].acknowledged_at is None
            )

    def overdue(self, *, now_us: int, limit: int = 100) -> list[Notice]:
        with self._lock:
            found = [
                n
                for n in self._notices.values()
                if n.acknowledged_at is None
                and n.id not in self._enforced
                and to_micros(n.ack_due_at) <= now_us
            ]
        return sorted(found, key=lambda n: n.ack_due_at)[:limit]

    def mark_enforced(self, notice_id: str, *, at_us: int) -> bool:
        with self._lock:
            notice = self._notices.get(notice_id)
            if notice is None or notice.acknowledged_at is not None or notice_id in self._enforced:
                return False
            self._enforced.add(notice_id)
            return True
