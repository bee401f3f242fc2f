"""Breach (a service over the rooms; tables ``incidents`` and ``incident_subjects``):
incidents of harvest detection, their containment and the reinstatement that closes them
(each one transaction), and the operator's signed webhook. Breach notifications, scope
documents and records of processing join it with issue 13."""

from consentgate.breach.containment import HARVEST_DETECTION, BreachStores, contain, reinstate
from consentgate.breach.incidents import (
    get_incident,
    incident_subject_ids,
    list_incidents,
    open_incident,
)
from consentgate.breach.records import CLOSED, OPEN, Incident
from consentgate.breach.store import IncidentStore, MemoryIncidentStore, SqlIncidentStore
from consentgate.breach.webhook import WebhookNotifier

__all__ = [
    "CLOSED",
    "HARVEST_DETECTION",
    "OPEN",
    "BreachStores",
    "Incident",
    "IncidentStore",
    "MemoryIncidentStore",
    "SqlIncidentStore",
    "WebhookNotifier",
    "contain",
    "get_incident",
    "incident_subject_ids",
    "list_incidents",
    "open_incident",
    "reinstate",
]
