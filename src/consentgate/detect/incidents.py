"""Incidents: what containment opens when a harvest rule fires — the app, the rule, its
evidence, when, and the people whose data went to the app in the rule's window (taken from
the disclosure ledger, the record of what actually left).

Ids are opaque and sort by opening time. An incident stays ``open`` until an operator
reinstates the app, which closes it (``closed``).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from consentgate.clock import from_micros, to_micros
from consentgate.errors import IncidentNotFound
from consentgate.ledger import Scope
from consentgate.storage.tables import incident_subjects, incidents

__all__ = [
    "Incident",
    "close_incidents",
    "get_incident",
    "incident_subject_ids",
    "list_incidents",
    "open_incident",
]

OPEN = "open"
CLOSED = "closed"


@dataclass(frozen=True)
class Incident:
    id: str
    app_id: str
    rule: str
    evidence: dict[str, Any]
    opened_at: datetime
    status: str
    closed_at: datetime | None
    window_start: datetime
    subjects_disclosed: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "app_id": self.app_id,
            "rule": self.rule,
            "evidence": self.evidence,
            "opened_at": self.opened_at.isoformat(),
            "status": self.status,
            "closed_at": None if self.closed_at is None else self.closed_at.isoformat(),
            "window_start": self.window_start.isoformat(),
            "subjects_disclosed": self.subjects_disclosed,
        }


def open_incident(
    connection: Connection,
    *,
    app_id: str,
    rule: str,
    evidence: Mapping[str, Any],
    opened_at: datetime,
    window_start: datetime,
    scope: Scope,
) -> Incident:
    """Record an incident with the people disclosed to the app in its window (``scope``,
    from the ledger: the linkable ones listed, every one counted)."""
    opened_us = to_micros(opened_at)
    incident_id = f"inc_{opened_us:014x}{secrets.token_hex(6)}"
    subjects = scope.subject_ids
    row = {
        "id": incident_id,
        "app_id": app_id,
        "rule": rule,
        "evidence": dict(evidence),
        "status": OPEN,
        "opened_us": opened_us,
        "closed_us": None,
        "window_start_us": to_micros(window_start),
        "subjects_disclosed": scope.people,
    }
    connection.execute(insert(incidents), [row])
    if subjects:
        connection.execute(
            insert(incident_subjects),
            [{"incident_id": incident_id, "subject_id": s} for s in subjects],
        )
    return _from_row(row)


def close_incidents(connection: Connection, app_id: str, *, at: datetime) -> int:
    """Close the app's open incidents (its reinstatement); how many were closed."""
    result = connection.execute(
        update(incidents)
        .where(incidents.c.app_id == app_id, incidents.c.status == OPEN)
        .values(status=CLOSED, closed_us=to_micros(at))
    )
    return int(result.rowcount)


def get_incident(engine: Engine, incident_id: str) -> Incident:
    with engine.connect() as connection:
        row = (
            connection.execute(select(incidents).where(incidents.c.id == incident_id))
            .mappings()
            .first()
        )
    if row is None:
        raise IncidentNotFound(incident_id)
    return _from_row(row)


def list_incidents(
    engine: Engine, *, after: str | None, limit: int, app_id: str | None = None
) -> list[Incident]:
    query = select(incidents).order_by(incidents.c.id).limit(limit)
    if after is not None:
        query = query.where(incidents.c.id > after)
    if app_id is not None:
        query = query.where(incidents.c.app_id == app_id)
    with engine.connect() as connection:
        return [_from_row(row) for row in connection.execute(query).mappings()]


def incident_subject_ids(
    engine: Engine, incident_id: str, *, after: str | None, limit: int
) -> list[str]:
    get_incident(engine, incident_id)
    query = (
        select(incident_subjects.c.subject_id)
        .where(incident_subjects.c.incident_id == incident_id)
        .order_by(incident_subjects.c.subject_id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(incident_subjects.c.subject_id > after)
    with engine.connect() as connection:
        return [str(value) for value in connection.execute(query).scalars()]


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
