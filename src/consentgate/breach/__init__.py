"""Breach (a service over the rooms; tables ``incidents``, ``incident_subjects``,
``breaches``, ``breach_subjects``, ``breach_events``): incidents of harvest detection, their
containment — which opens a breach in the same transaction — and the reinstatement that
closes them; personal data breaches (Art. 33, 34) with their exact scope from the ledger,
ENISA severity, FTC flag and Art. 83 exposure, the Art. 33 report and Art. 34 notices; the
records of processing (Art. 30); and the operator's signed webhook."""

from consentgate.breach.assessment import exposure, ftc, severity
from consentgate.breach.authorities import Authority, authorities, authority_of
from consentgate.breach.breach_store import BreachStore, MemoryBreachStore, SqlBreachStore
from consentgate.breach.breaches import (
    BreachContext,
    assess,
    breach_events,
    breach_subjects,
    close,
    get_breach,
    list_breaches,
    notify,
    open_breach,
)
from consentgate.breach.containment import HARVEST_DETECTION, BreachStores, contain, reinstate
from consentgate.breach.incidents import (
    get_incident,
    incident_subject_ids,
    list_incidents,
    open_incident,
)
from consentgate.breach.models import (
    ASSESSING,
    CLOSED,
    NOT_NOTIFIABLE,
    NOTIFIED,
    STATUSES,
    Breach,
    BreachEvent,
    BreachSubject,
)
from consentgate.breach.notices import affected_people, notice_text
from consentgate.breach.processing import records_csv, records_of_processing
from consentgate.breach.records import OPEN, Incident
from consentgate.breach.report import report, report_markdown
from consentgate.breach.scope import LedgerScope, ScopeEngine, scope_document
from consentgate.breach.store import IncidentStore, MemoryIncidentStore, SqlIncidentStore
from consentgate.breach.webhook import WebhookNotifier

__all__ = [
    "ASSESSING",
    "CLOSED",
    "HARVEST_DETECTION",
    "NOTIFIED",
    "NOT_NOTIFIABLE",
    "OPEN",
    "STATUSES",
    "Authority",
    "Breach",
    "BreachContext",
    "BreachEvent",
    "BreachStore",
    "BreachStores",
    "BreachSubject",
    "Incident",
    "IncidentStore",
    "LedgerScope",
    "MemoryBreachStore",
    "MemoryIncidentStore",
    "ScopeEngine",
    "SqlBreachStore",
    "SqlIncidentStore",
    "WebhookNotifier",
    "affected_people",
    "assess",
    "authorities",
    "authority_of",
    "breach_events",
    "breach_subjects",
    "close",
    "contain",
    "exposure",
    "ftc",
    "get_breach",
    "get_incident",
    "incident_subject_ids",
    "list_breaches",
    "list_incidents",
    "notice_text",
    "notify",
    "open_breach",
    "open_incident",
    "records_csv",
    "records_of_processing",
    "reinstate",
    "report",
    "report_markdown",
    "scope_document",
    "severity",
]
