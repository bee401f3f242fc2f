"""Where rights requests are kept (tables ``rights_requests`` and their history
``rights_request_events``, owned by ``rights``): the ``RequestStore`` protocol, its SQL
implementation and an in-memory twin. Every status change is a compare-and-set on the
current status, written with its history entry in one transaction; inside
``Stores.transaction()`` the store joins it (``tx.joined(store)``), so a request step and
what it does in the rooms (a restriction, notices and their outbox) commit together."""

from __future__ import annotations

import copy
import dataclasses
import threading
from collections.abc import Collection, Mapping
from typing import Any, Protocol

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.engine import Connection

from consentgate.clock import from_micros, to_micros
from consentgate.rights.models import OPEN, RequestEvent, RequestStatus, RequestType, RightsRequest
from consentgate.storage.database import SqlStore
from consentgate.storage.tables import rights_request_events, rights_requests
from consentgate.stores import MemoryStores, SqlStores, Stores

__all__ = ["MemoryRequestStore", "RequestStore", "SqlRequestStore", "open_request_store"]

# columns ``update`` may change besides the status
CHANGES = frozenset(
    {"extended_due_at", "extension_reason", "closed_at", "rejection_reason", "step"}
)


class RequestStore(Protocol):
    def add(self, request: RightsRequest) -> None:
        """Store a new request with its history so far."""
        ...

    def get(self, request_id: str) -> RightsRequest | None: ...

    def page(
        self,
        *,
        subject_id: str | None = None,
        status: RequestStatus | None = None,
        type: RequestType | None = None,
        overdue_at_us: int | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> list[RightsRequest]:
        """Requests by id after ``after``; ``overdue_at_us``: only those still open past
        their (extended) deadline at that instant."""
        ...

    def update(
        self,
        request_id: str,
        *,
        from_status: Collection[RequestStatus],
        event: RequestEvent,
        changes: Mapping[str, Any] | None = None,
    ) -> RightsRequest | None:
        """Move to ``event.status`` (and apply ``changes``) if the request is in one of
        ``from_status``, appending ``event``; the request afterwards, or None."""
        ...


class SqlRequestStore(SqlStore):
    def add(self, request: RightsRequest) -> None:
        with self._writing() as connection:
            connection.execute(insert(rights_requests), [_row(request)])
            for event in request.history:
                _event(connection, request.id, event)

    def get(self, request_id: str) -> RightsRequest | None:
        with self._reading() as connection:
            row = connection.execute(
                select(rights_requests).where(rights_requests.c.id == request_id)
            ).first()
            if row is None:
                return None
            return _with_history(connection, [row._mapping])[0]

    def page(
        self,
        *,
        subject_id: str | None = None,
        status: RequestStatus | None = None,
        type: RequestType | None = None,
        overdue_at_us: int | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> list[RightsRequest]:
        table = rights_requests
        statement = select(table).order_by(table.c.id).limit(max(1, min(limit, 1001)))
        if subject_id is not None:
            statement = statement.where(table.c.subject_id == subject_id)
        if status is not None:
            statement = statement.where(table.c.status == status.value)
        if type is not None:
            statement = statement.where(table.c.type == type.value)
        if overdue_at_us is not None:
            statement = statement.where(
                and_(
                    table.c.status.in_([s.value for s in OPEN]),
                    func.coalesce(table.c.extended_due_us, table.c.due_us) < overdue_at_us,
                )
            )
        if after is not None:
            statement = statement.where(table.c.id > after)
        with self._reading() as connection:
            rows = [row._mapping for row in connection.execute(statement)]
            return _with_history(connection, rows)

    def update(
        self,
        request_id: str,
        *,
        from_status: Collection[RequestStatus],
        event: RequestEvent,
        changes: Mapping[str, Any] | None = None,
    ) -> RightsRequest | None:
        values: dict[str, Any] = {"status": event.status.value, "updated_us": to_micros(event.at)}
        for name, value in (changes or {}).items():
            if name not in CHANGES:
                raise ValueError(f"a request's {name} does not change")
            if name.endswith("_at"):
                values[name.removesuffix("_at") + "_us"] = (
                    None if value is None else to_micros(value)
                )
            else:
                values[name] = value
        statement = (
            update(rights_requests)
            .where(
                rights_requests.c.id == request_id,
                rights_requests.c.status.in_([s.value for s in from_status]),
            )
            .values(**values)
        )
        with self._writing() as connection:
            if connection.execute(statement).rowcount != 1:
                return None
            _event(connection, request_id, event)
        return self.get(request_id)


def _event(connection: Connection, request_id: str, event: RequestEvent) -> None:
    connection.execute(
        insert(rights_request_events),
        [
            {
                "request_id": request_id,
                "at_us": to_micros(event.at),
                "status": event.status.value,
                "note": event.note,
                "actor": event.actor,
            }
        ],
    )


def _with_history(connection: Connection, rows: list[Any]) -> list[RightsRequest]:
    """The requests of ``rows`` with their histories (one query for all of them)."""
    ids = [row["id"] for row in rows]
    history: dict[str, list[RequestEvent]] = {i: [] for i in ids}
    if ids:
        statement = (
            select(rights_request_events)
            .where(rights_request_events.c.request_id.in_(ids))
            .order_by(rights_request_events.c.seq)
        )
        for event in connection.execute(statement).mappings():
            history[event["request_id"]].append(
                RequestEvent(
                    from_micros(event["at_us"]),
                    RequestStatus(event["status"]),
                    event["note"],
                    event["actor"],
                )
            )
    return [_from_row(row, tuple(history[row["id"]])) for row in rows]


def _us(moment: Any) -> int | None:
    return None if moment is None else to_micros(moment)


def _at(value: int | None) -> Any:
    return None if value is None else from_micros(value)


def _row(request: RightsRequest) -> dict[str, Any]:
    return {
        "id": request.id,
        "subject_id": request.subject_id,
        "type": request.type.value,
        "status": request.status.value,
        "received_us": to_micros(request.received_at),
        "due_us": to_micros(request.due_at),
        "extended_due_us": _us(request.extended_due_at),
        "extension_reason": request.extension_reason,
        "closed_us": _us(request.closed_at),
        "rejection_reason": request.rejection_reason,
        "details": dict(request.details),
        "country": request.country,
        "verified_by": request.verified_by,
        "created_by": request.created_by,
        "step": request.step,
        "updated_us": to_micros(request.history[-1].at if request.history else request.received_at),
    }


def _from_row(row: Any, history: tuple[RequestEvent, ...]) -> RightsRequest:
    return RightsRequest(
        id=row["id"],
        subject_id=row["subject_id"],
        type=RequestType(row["type"]),
        status=RequestStatus(row["status"]),
        received_at=from_micros(row["received_us"]),
        due_at=from_micros(row["due_us"]),
        details=dict(row["details"]),
        created_by=row["created_by"],
        country=row["country"],
        verified_by=row["verified_by"],
        extended_due_at=_at(row["extended_due_us"]),
        extension_reason=row["extension_reason"],
        closed_at=_at(row["closed_us"]),
        rejection_reason=row["rejection_reason"],
        step=row["step"],
        history=history,
    )


class MemoryRequestStore:
    """The same, in memory; ``attach`` it to a ``MemoryStores`` on that bundle's lock."""

    def __init__(self, *, lock: threading.RLock | None = None) -> None:
        self._lock = lock or threading.RLock()
        self._requests: dict[str, RightsRequest] = {}

    def snapshot(self) -> dict[str, RightsRequest]:
        with self._lock:
            return copy.copy(self._requests)

    def restore(self, state: dict[str, RightsRequest]) -> None:
        with self._lock:
            self._requests = state

    def add(self, request: RightsRequest) -> None:
        with self._lock:
            if request.id in self._requests:
                raise ValueError(f"request {request.id!r} is already stored")
            self._requests[request.id] = request

    def get(self, request_id: str) -> RightsRequest | None:
        with self._lock:
            return self._requests.get(request_id)

    def page(
        self,
        *,
        subject_id: str | None = None,
        status: RequestStatus | None = None,
        type: RequestType | None = None,
        overdue_at_us: int | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> list[RightsRequest]:
        with self._lock:
            found = sorted(self._requests.values(), key=lambda r: r.id)
        found = [
            r
            for r in found
            if (subject_id is None or r.subject_id == subject_id)
            and (status is None or r.status is status)
            and (type is None or r.type is type)
            and (overdue_at_us is None or r.overdue(from_micros(overdue_at_us)))
            and (after is None or r.id > after)
        ]
        return found[: max(1, min(limit, 1001))]

    def update(
        self,
        request_id: str,
        *,
        from_status: Collection[RequestStatus],
        event: RequestEvent,
        changes: Mapping[str, Any] | None = None,
    ) -> RightsRequest | None:
        for name in changes or {}:
            if name not in CHANGES:
                raise ValueError(f"a request's {name} does not change")
        with self._lock:
            request = self._requests.get(request_id)
            if request is None or request.status not in from_status:
                return None
            changed = dataclasses.replace(
                request,
                status=event.status,
                history=(*request.history, event),
                **dict(changes or {}),
            )
            self._requests[request_id] = changed
            return changed


def open_request_store(stores: Stores) -> RequestStore:
    """The request store beside a bundle: on its database, or in memory on its lock (and
    attached, so a failed transaction restores it with the rest)."""
    if isinstance(stores, SqlStores):
        return SqlRequestStore(stores.db)
    if isinstance(stores, MemoryStores):
        store = MemoryRequestStore(lock=stores.lock)
        stores.attach(store)
        return store
    raise TypeError(f"no request store for {type(stores).__name__}")
