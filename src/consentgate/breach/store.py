"""Where incidents are kept (tables ``incidents`` and ``incident_subjects``, the people an
incident's window disclosed): the ``IncidentStore`` protocol, its SQL implementation and an
in-memory twin."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import delete, insert, select, update

from consentgate.breach.records import CLOSED, OPEN, Incident
from consentgate.clock import from_micros, to_micros
from consentgate.storage.database import SqlStore
from consentgate.storage.tables import incident_subjects, incidents

__all__ = ["IncidentStore", "MemoryIncidentStore", "SqlIncidentStore"]


class IncidentStore(Protocol):
    def add(self, incident: Incident, subject_ids: Sequence[str]) -> None:
        """Store a new incident with the platform ids of the people it concerns."""
        ...

    def get(self, incident_id: str) -> Incident | None: ...

    def page(
        self, *, after: str | None = None, limit: int = 100, app_id: str | None = None
    ) -> list[Incident]: ...

    def subject_ids(
        self, incident_id: str, *, after: str | None = None, limit: int = 100
    ) -> list[str]: ...

    def close_for_app(self, app_id: str, *, at_us: int) -> int:
        """Close the app's open incidents; how many were closed."""
        ...

    def forget_subject(self, subject_id: str) -> int:
        """Take the person off every incident's list (erasure; the counts stay)."""
        ...


class SqlIncidentStore(SqlStore):
    def add(self, incident: Incident, subject_ids: Sequence[str]) -> None:
        with self._writing() as connection:
            connection.execute(insert(incidents), [_row(incident)])
            if subject_ids:
                connection.execute(
                    insert(incident_subjects),
                    [{"incident_id": incident.id, "subject_id": s} for s in subject_ids],
                )

    def get(self, incident_id: str) -> Incident | None:
        with self._reading() as connection:
            row = (
                connection.execute(select(incidents).where(incidents.c.id == incident_id))
                .mappings()
                .first()
            )
        return None if row is None else _from_row(row)

    def page(
        self, *, after: str | None = None, limit: int = 100, app_id: str | None = None
    ) -> list[Incident]:
        query = select(incidents).order_by(incidents.c.id).limit(limit)
        if after is not None:
            query = query.where(incidents.c.id > after)
        if app_id is not None:
            query = query.where(incidents.c.app_id == app_id)
        with self._reading() as connection:
            return [_from_row(row) for row in connection.execute(query).mappings()]

    def subject_ids(
        self, incident_id: str, *, after: str | None = None, limit: int = 100
    ) -> list[str]:
        query = (
            select(incident_subjects.c.subject_id)
            .where(incident_subjects.c.incident_id == incident_id)
            .order_by(incident_subjects.c.subject_id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(incident_subjects.c.subject_id > after)
        with self._reading() as connection:
            return [str(value) for value in connection.execute(query).scalars()]

    def close_for_app(self, app_id: str, *, at_us: int) -> int:
        statement = (
            update(incidents)
            .where(incidents.c.app_id == app_id, incidents.c.status == OPEN)
            .values(status=CLOSED, closed_us=at_us)
        )
        with self._writing() as connection:
            return int(connection.execute(statement).rowcount)

    def forget_subject(self, subject_id: str) -> int:
        statement = delete(incident_subjects).where(incident_subjects.c.subject_id == subject_id)
        with self._writing() as connection:
            return int(connection.execute(statement).rowcount)


class MemoryIncidentStore:
    def __init__(self, *, lock: threading.RLock | None = None) -> None:
        self._lock = lock or threading.RLock()
        self._incidents: dict[str, Incident] = {}
        self._subjects: dict[str, set[str]] = {}

    def snapshot(self) -> tuple[dict[str, Incident], dict[str, set[str]]]:
        with self._lock:
            return dict(self._incidents), {k: set(v) for k, v in self._subjects.items()}

    def restore(self, state: tuple[dict[str, Incident], dict[str, set[str]]]) -> None:
        with self._lock:
            self._incidents, self._subjects = state

    def add(self, incident: Incident, subject_ids: Sequence[str]) -> None:
        with self._lock:
            if incident.id in self._incidents:
                raise ValueError(f"incident {incident.id!r} is already stored")
            self._incidents[incident.id] = incident
            self._subjects[incident.id] = set(subject_ids)

    def get(self, incident_id: str) -> Incident | None:
        with self._lock:
            return self._incidents.get(incident_id)

    def page(
        self, *, after: str | None = None, limit: int = 100, app_id: str | None = None
    ) -> list[Incident]:
        with self._lock:
            found = sorted(self._incidents.values(), key=lambda i: i.id)
        found = [
            i
            for i in found
            if (after is None or i.id > after) and (app_id is None or i.app_id == app_id)
        ]
        return found[:limit]

    def subject_ids(
        self, incident_id: str, *, after: str | None = None, limit: int = 100
    ) -> list[str]:
        with self._lock:
            found = sorted(self._subjects.get(incident_id, set()))
        return [s for s in found if after is None or s > after][:limit]

    def close_for_app(self, app_id: str, *, at_us: int) -> int:
        closed = 0
        with self._lock:
            for key, incident in self._incidents.items():
                if incident.app_id == app_id and incident.status == OPEN:
                    self._incidents[key] = dataclasses.replace(
                        incident, status=CLOSED, closed_at=from_micros(at_us)
                    )
                    closed += 1
        return closed

    def forget_subject(self, subject_id: str) -> int:
        forgotten = 0
        with self._lock:
            for people in self._subjects.values():
                if subject_id in people:
                    people.discard(subject_id)
                    forgotten += 1
        return forgotten


def _row(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.id,
        "app_id": incident.app_id,
        "rule": incident.rule,
        "evidence": dict(incident.evidence),
        "status": incident.status,
        "opened_us": to_micros(incident.opened_at),
        "closed_us": None if incident.closed_at is None else to_micros(incident.closed_at),
        "window_start_us": to_micros(incident.window_start),
        "subjects_disclosed": incident.subjects_disclosed,
    }


def _from_row(row: Mapping[Any, Any]) -> Incident:
    closed = row["closed_us"]
    return Incident(
        id=row["id"],
        app_id=row["app_id"],
        rule=row["rule"],
        evidence=dict(row["evidence"]),
        opened_at=from_micros(row["opened_us"]),
        status=row["status"],
        closed_at=None if closed is None else from_micros(closed),
        window_start=from_micros(row["window_start_us"]),
        subjects_disclosed=row["subjects_disclosed"],
    )
