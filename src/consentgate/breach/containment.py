"""The two orchestrations of a harvest incident, each one transaction across the rooms:

- ``contain(stores, finding, context=...)``: suspend the app (I4: its next request is
  refused and its tokens are dead, since every call checks the app's status), open an
  incident with the rule's evidence and the people the ledger says were disclosed in the
  rule's window, and open its breach (status ``assessing``, the same scope, the 72-hour
  clock running from now); then tell the operator through the log and the signed webhook.
  All the writes or none.
- ``reinstate(stores, app_id, actor=...)``: an operator's decision — the app is approved
  again and its open incidents close, together.

The detector only finds (``detect.Finding``); the composition root hands the gateway
``contain`` bound to the stores and the notifier, so detection never imports the registry.
"""

from __future__ import annotations

import contextlib
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Protocol

import structlog

from consentgate.apps import App, AppStore, reinstate_app, suspend_app
from consentgate.authz import Actor
from consentgate.breach.breach_store import BreachStore
from consentgate.breach.breaches import BreachContext, open_breach
from consentgate.breach.incidents import Incident, open_incident
from consentgate.breach.store import IncidentStore
from consentgate.breach.webhook import WebhookNotifier
from consentgate.clock import to_micros, utc_now
from consentgate.consent import ConsentStore
from consentgate.detect import Finding
from consentgate.errors import InvalidTransition
from consentgate.ledger import LedgerStore

__all__ = ["HARVEST_DETECTION", "BreachStores", "contain", "reinstate"]

log = structlog.get_logger("consentgate.detect")

HARVEST_DETECTION = Actor.system("harvest-detection")


class BreachStores(Protocol):
    """The stores these orchestrations use (``consentgate.stores.Stores`` is one)."""

    @property
    def apps(self) -> AppStore: ...

    @property
    def consents(self) -> ConsentStore: ...

    @property
    def incidents(self) -> IncidentStore: ...

    @property
    def ledger(self) -> LedgerStore: ...

    @property
    def breaches(self) -> BreachStore: ...

    def transaction(self) -> AbstractContextManager[BreachStores]: ...


def contain(
    stores: BreachStores,
    finding: Finding,
    *,
    context: BreachContext,
    notifier: WebhookNotifier | None = None,
    now: datetime | None = None,
) -> Incident:
    """Suspend the app and open its incident and breach, in one transaction; announce it."""
    opened_at = now or utc_now()
    reason = f"harvest detection: {finding.rule}: {finding.explanation}"
    window_start = opened_at - timedelta(seconds=finding.window_seconds)
    known = finding.evidence.get("consenting_subjects")
    consenting = (
        int(known)
        if known is not None
        else stores.consents.count_live_subjects(finding.app_id, now_us=to_micros(opened_at))
    )
    evidence = finding.evidence | {"consenting_subjects": consenting}
    with stores.transaction() as tx:
        # suspended (or never approved) meanwhile: the incident is still opened
        with contextlib.suppress(InvalidTransition):
            suspend_app(
                tx.apps,
                finding.app_id,
                reason=reason[:2000],
                actor=HARVEST_DETECTION,
                now=opened_at,
            )
        window_end = opened_at + timedelta(microseconds=1)  # the tipping read included
        scope = context.engine.scope(
            tx.ledger, finding.app_id, to_micros(window_start), to_micros(window_end)
        )
        incident = open_incident(
            tx.incidents,
            app_id=finding.app_id,
            rule=finding.rule,
            evidence=evidence,
            opened_at=opened_at,
            window_start=window_start,
            scope=scope,
        )
        breach = open_breach(
            tx,
            context,
            app_id=finding.app_id,
            window_start=window_start,
            window_end=window_end,
            discovered_at=opened_at,
            description=(
                f"Harvest detection contained the app (rule {finding.rule}): {finding.explanation}"
            )[:4000],
            actor=HARVEST_DETECTION,
            malicious=True,
            incident_id=incident.id,
            scope=scope,
            now=window_end,
        )
    log.warning(
        "app_contained",
        app_id=finding.app_id,
        rule=finding.rule,
        incident_id=incident.id,
        subjects_disclosed=incident.subjects_disclosed,
        breach_id=breach.id,
        explanation=finding.explanation,
    )
    if notifier is not None:
        notifier.notify(
            "consentgate.incident.opened", incident.as_dict() | {"breach_id": breach.id}
        )
    return incident


def reinstate(
    stores: BreachStores,
    app_id: str,
    *,
    actor: Actor,
    reason: str | None = None,
    now: datetime | None = None,
) -> App:
    """Reinstate a suspended app and close its open incidents, in one transaction."""
    moment = now or utc_now()
    with stores.transaction() as tx:
        app = reinstate_app(tx.apps, app_id, actor=actor, reason=reason, now=moment)
        tx.incidents.close_for_app(app_id, at_us=to_micros(moment))
    return app
