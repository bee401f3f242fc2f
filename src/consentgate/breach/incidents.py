"""Incidents: what containment opens when a harvest rule fires — the app, the rule, its
evidence, when, and the people whose data went to the app in the rule's window (from the
ledger's ``scope``, the record of what actually left) — over an ``IncidentStore``.

Ids are opaque and sort by opening time. An incident stays ``open`` until an operator
reinstates the app, which closes it (``closed``).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from consentgate.breach.records import CLOSED, OPEN, Incident
from consentgate.breach.store import IncidentStore
from consentgate.clock import to_micros
from consentgate.errors import IncidentNotFound
from consentgate.ledger import Scope

__all__ = [
    "CLOSED",
    "OPEN",
    "Incident",
    "get_incident",
    "incident_subject_ids",
    "list_incidents",
    "open_incident",
]


def open_incident(
    incidents: IncidentStore,
    *,
    app_id: str,
    rule: str,
    evidence: Mapping[str, Any],
    opened_at: datetime,
    window_start: datetime,
    scope: Scope,
) -> Incident:
    """Record an incident with the people disclosed to the app in its window (``scope``:
    every one counted, the linkable ones listed)."""
    opened_us = to_micros(opened_at)
    incident = Incident(
        id=f"inc_{opened_us:014x}{secrets.token_hex(6)}",
        app_id=app_id,
        rule=rule,
        evidence=dict(evidence),
        opened_at=opened_at,
        status=OPEN,
        closed_at=None,
        window_start=window_start,
        subjects_disclosed=scope.people,
    )
    incidents.add(incident, scope.subject_ids)
    return incident


def get_incident(incidents: IncidentStore, incident_id: str) -> Incident:
    found = incidents.get(incident_id)
    if found is None:
        raise IncidentNotFound(incident_id)
    return found


def list_incidents(
    incidents: IncidentStore, *, after: str | None, limit: int, app_id: str | None = None
) -> list[Incident]:
    return incidents.page(after=after, limit=limit, app_id=app_id)


def incident_subject_ids(
    incidents: IncidentStore, incident_id: str, *, after: str | None, limit: int
) -> list[str]:
    get_incident(incidents, incident_id)
    return incidents.subject_ids(incident_id, after=after, limit=limit)
