"""Where breaches are kept (tables ``breaches``, ``breach_subjects`` — the affected people
still linkable — and ``breach_events``, every step with its actor): the ``BreachStore``
protocol, its SQL implementation and an in-memory twin."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import delete, insert, select, update

from consentgate.breach.models import Breach, BreachEvent, BreachSubject
from consentgate.clock import from_micros, to_micros
from consentgate.storage.database import SqlStore
from consentgate.storage.tables import breach_events, breach_subjects, breaches

__all__ = ["BreachStore", "MemoryBreachStore", "SqlBreachStore"]


class BreachStore(Protocol):
    def add(self, breach: Breach, subjects: Sequence[BreachSubject], event: BreachEvent) -> None:
        """Store a new breach with its affected people and the step that opened it."""
        ...

    def get(self, breach_id: str) -> Breach | None: ...

    def page(
        self,
        *,
        after: str | None = None,
        limit: int = 100,
        app_id: str | None = None,
        status: str | None = None,
    ) -> list[Breach]: ...

    def update(self, breach: Breach, event: BreachEvent) -> None:
        """Replace the stored breach's state with ``breach``'s and record ``event``."""
        ...

    def events(self, breach_id: str) -> list[BreachEvent]:
        """The breach's steps, oldest first."""
        ...

    def subjects(
        self, breach_id: str, *, after: str | None = None, limit: int = 100
    ) -> list[BreachSubject]:
        """The affected people by platform id, after ``after``."""
        ...

    def forget_subject(self, subject_id: str) -> int:
        """Take the person off every breach's list (erasure; the counts stay)."""
        ...


class SqlBreachStore(SqlStore):
    def add(self, breach: Breach, subjects: Sequence[BreachSubject], event: BreachEvent) -> None:
        with self._writing() as connection:
            connection.execute(insert(breaches), [_row(breach)])
            for start in range(0, len(subjects), 1000):
                connection.execute(
                    insert(breach_subjects),
                    [_subject_row(breach.id, s) for s in subjects[start : start + 1000]],
                )
            connection.execute(insert(breach_events), [_event_row(breach.id, event)])

    def get(self, breach_id: str) -> Breach | None:
        with self._reading() as connection:
            row = (
                connection.execute(select(breaches).where(breaches.c.id == breach_id))
                .mappings()
                .first()
            )
        return None if row is None else _from_row(row)

    def page(
        self,
        *,
        after: str | None = None,
        limit: int = 100,
        app_id: str | None = None,
        status: str | None = None,
    ) -> list[Breach]:
        query = select(breaches).order_by(breaches.c.id).limit(limit)
        if after is not None:
            query = query.where(breaches.c.id > after)
        if app_id is not None:
            query = query.where(breaches.c.app_id == app_id)
        if status is not None:
            query = query.where(breaches.c.status == status)
        with self._reading() as connection:
            return [_from_row(row) for row in connection.execute(query).mappings()]

    def update(self, breach: Breach, event: BreachEvent) -> None:
        values = _row(breach)
        del values["id"]
        with self._writing() as connection:
            connection.execute(update(breaches).where(breaches.c.id == breach.id).values(**values))
            connection.execute(insert(breach_events), [_event_row(breach.id, event)])

    def events(self, breach_id: str) -> list[BreachEvent]:
        query = (
            select(breach_events)
            .where(breach_events.c.breach_id == breach_id)
            .order_by(breach_events.c.seq)
        )
        with self._reading() as connection:
            return [
                BreachEvent(r["event"], dict(r["detail"]), from_micros(r["at_us"]), r["actor"])
                for r in connection.execute(query).mappings()
            ]

    def subjects(
        self, breach_id: str, *, after: str | None = None, limit: int = 100
    ) -> list[BreachSubject]:
        query = (
            select(breach_subjects)
            .where(breach_subjects.c.breach_id == breach_id)
            .order_by(breach_subjects.c.subject_id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(breach_subjects.c.subject_id > after)
        with self._reading() as connection:
            return [
                BreachSubject(
                    subject_id=r["subject_id"],
                    fields=tuple(r["fields"]),
                    first_at=from_micros(r["first_us"]),
                    last_at=from_micros(r["last_us"]),
                    records=r["records"],
                    country=r["country"],
                )
                for r in connection.execute(query).mappings()
            ]

    def forget_subject(self, subject_id: str) -> int:
        statement = delete(breach_subjects).where(breach_subjects.c.subject_id == subject_id)
        with self._writing() as connection:
            return int(connection.execute(statement).rowcount)


class MemoryBreachStore:
    def __init__(self, *, lock: threading.RLock | None = None) -> None:
        self._lock = lock or threading.RLock()
        self._breaches: dict[str, Breach] = {}
        self._subjects: dict[str, dict[str, BreachSubject]] = {}
        self._events: dict[str, list[BreachEvent]] = {}

    def snapshot(self) -> Any:
        with self._lock:
            return (
                dict(self._breaches),
                {k: dict(v) for k, v in self._subjects.items()},
                {k: list(v) for k, v in self._events.items()},
            )

    def restore(self, state: Any) -> None:
        with self._lock:
            self._breaches, self._subjects, self._events = state

    def add(self, breach: Breach, subjects: Sequence[BreachSubject], event: BreachEvent) -> None:
        with self._lock:
            if breach.id in self._breaches:
                raise ValueError(f"breach {breach.id!r} is already stored")
            self._breaches[breach.id] = breach
            self._subjects[breach.id] = {s.subject_id: s for s in subjects}
            self._events[breach.id] = [event]

    def get(self, breach_id: str) -> Breach | None:
        with self._lock:
            return self._breaches.get(breach_id)

    def page(
        self,
        *,
        after: str | None = None,
        limit: int = 100,
        app_id: str | None = None,
        status: str | None = None,
    ) -> list[Breach]:
        with self._lock:
            found = sorted(self._breaches.values(), key=lambda b: b.id)
        return [
            b
            for b in found
            if (after is None or b.id > after)
            and (app_id is None or b.app_id == app_id)
            and (status is None or b.status == status)
        ][:limit]

    def update(self, breach: Breach, event: BreachEvent) -> None:
        with self._lock:
            if breach.id not in self._breaches:
                raise KeyError(breach.id)
            self._breaches[breach.id] = dataclasses.replace(breach)
            self._events[breach.id].append(event)

    def events(self, breach_id: str) -> list[BreachEvent]:
        with self._lock:
            return list(self._events.get(breach_id, []))

    def subjects(
        self, breach_id: str, *, after: str | None = None, limit: int = 100
    ) -> list[BreachSubject]:
        with self._lock:
            people = sorted(self._subjects.get(breach_id, {}).items())
        return [s for key, s in people if after is None or key > after][:limit]

    def forget_subject(self, subject_id: str) -> int:
        forgotten = 0
        with self._lock:
            for people in self._subjects.values():
                if people.pop(subject_id, None) is not None:
                    forgotten += 1
        return forgotten


def _us(moment: Any) -> int | None:
    return None if moment is None else to_micros(moment)


def _at(micros: int | None) -> Any:
    return None if micros is None else from_micros(micros)


def _row(breach: Breach) -> dict[str, Any]:
    return {
        "id": breach.id,
        "incident_id": breach.incident_id,
        "app_id": breach.app_id,
        "status": breach.status,
        "description": breach.description,
        "discovered_us": to_micros(breach.discovered_at),
        "window_start_us": to_micros(breach.window_start),
        "window_end_us": to_micros(breach.window_end),
        "scope": breach.scope,
        "severity": breach.severity,
        "ftc": breach.ftc,
        "exposure": breach.exposure,
        "opened_us": to_micros(breach.opened_at),
        "opened_by": breach.opened_by,
        "notified_us": _us(breach.authority_notified_at),
        "authority": breach.authority,
        "reference": breach.reference,
        "late_reason": breach.late_reason,
        "assessment": breach.assessment,
        "closed_us": _us(breach.closed_at),
    }


def _from_row(row: Mapping[Any, Any]) -> Breach:
    return Breach(
        id=row["id"],
        incident_id=row["incident_id"],
        app_id=row["app_id"],
        status=row["status"],
        description=row["description"],
        discovered_at=from_micros(row["discovered_us"]),
        window_start=from_micros(row["window_start_us"]),
        window_end=from_micros(row["window_end_us"]),
        scope=dict(row["scope"]),
        severity=dict(row["severity"]),
        ftc=dict(row["ftc"]),
        exposure=dict(row["exposure"]),
        opened_at=from_micros(row["opened_us"]),
        opened_by=row["opened_by"],
        authority_notified_at=_at(row["notified_us"]),
        authority=row["authority"],
        reference=row["reference"],
        late_reason=row["late_reason"],
        assessment=None if row["assessment"] is None else dict(row["assessment"]),
        closed_at=_at(row["closed_us"]),
    )


def _subject_row(breach_id: str, subject: BreachSubject) -> dict[str, Any]:
    return {
        "breach_id": breach_id,
        "subject_id": subject.subject_id,
        "fields": list(subject.fields),
        "first_us": to_micros(subject.first_at),
        "last_us": to_micros(subject.last_at),
        "records": subject.records,
        "country": subject.country,
    }


def _event_row(breach_id: str, event: BreachEvent) -> dict[str, Any]:
    return {
        "breach_id": breach_id,
        "event": event.event,
        "detail": event.detail,
        "at_us": to_micros(event.at),
        "actor": event.actor,
    }
