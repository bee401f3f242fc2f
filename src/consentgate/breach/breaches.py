"""The breach lifecycle (GDPR Art. 33, 34), each step one transaction recording who took it:

- ``open_breach``: by hand, or by containment for every harvest incident (in containment's
  own transaction). The scope is computed from the ledger at once, exactly, and with it the
  ENISA severity, the FTC flag and the Art. 83 exposure (``assessment``); status
  ``assessing``; the authority is due 72 hours after discovery.
- ``assess``: the controller's decision whether the breach must be notified (Art. 33(1):
  not when "unlikely to result in a risk"; Art. 33(5): documented either way) —
  ``not_notifiable``, or still ``assessing`` with the decision that it is notifiable.
- ``notify``: the lead authority was notified (``notified``); after ``authority_due_at`` the
  reasons for the delay are required (Art. 33(1)).
- ``close``: a notified or not notifiable breach is closed.
"""

from __future__ import annotations

import secrets
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from consentgate.apps import AppStore, get_app
from consentgate.authz import Actor
from consentgate.breach.assessment import exposure, ftc, severity
from consentgate.breach.breach_store import BreachStore
from consentgate.breach.models import (
    ASSESSING,
    CLOSED,
    NOT_NOTIFIABLE,
    NOTIFIED,
    Breach,
    BreachEvent,
    BreachSubject,
)
from consentgate.breach.scope import LedgerScope, ScopeEngine, scope_document
from consentgate.catalog import Catalog
from consentgate.clock import rfc3339, to_micros, utc_now
from consentgate.errors import BreachNotFound, InvalidInput, InvalidTransition
from consentgate.ledger import LedgerStore, Scope
from consentgate.settings import BreachPolicy
from consentgate.sources import Source

__all__ = [
    "BreachContext",
    "BreachStoresView",
    "assess",
    "breach_events",
    "breach_subjects",
    "close",
    "get_breach",
    "list_breaches",
    "notify",
    "open_breach",
]

_MICRO = timedelta(microseconds=1)


@dataclass(frozen=True)
class BreachContext:
    """What opening a breach needs besides the stores: the catalog (data categories), the
    source (countries and ages of linkable people), the controller's details and the engine
    that asks the ledger."""

    catalog: Catalog
    source: Source
    policy: BreachPolicy = field(default_factory=BreachPolicy)
    engine: ScopeEngine = field(default_factory=LedgerScope)


class BreachStoresView(Protocol):
    @property
    def apps(self) -> AppStore: ...

    @property
    def ledger(self) -> LedgerStore: ...

    @property
    def breaches(self) -> BreachStore: ...

    def transaction(self) -> AbstractContextManager[BreachStoresView]: ...


def open_breach(
    stores: BreachStoresView,
    context: BreachContext,
    *,
    app_id: str,
    window_start: datetime,
    description: str,
    actor: Actor,
    window_end: datetime | None = None,
    discovered_at: datetime | None = None,
    malicious: bool = False,
    incident_id: str | None = None,
    scope: Scope | None = None,
    now: datetime | None = None,
) -> Breach:
    """Open a breach of ``app_id``'s disclosures in ``[window_start, window_end)`` (to now
    when not given), discovered at ``discovered_at`` (now when not given). ``scope`` is the
    ledger's answer when the caller has it already (containment)."""
    moment = now or utc_now()
    end = window_end or moment
    discovered = discovered_at or moment
    if window_start >= end:
        raise InvalidInput("window_start must be before window_end")
    if discovered > moment:
        raise InvalidInput("discovered_at is in the future")
    if end > moment + timedelta(seconds=1):
        raise InvalidInput("window_end is in the future")
    if not description.strip():
        raise InvalidInput("a breach needs a description")
    with stores.transaction() as tx:
        get_app(tx.apps, app_id)  # AppNotFound (404) for an unknown app
        found = scope or context.engine.scope(
            tx.ledger, app_id, to_micros(window_start), to_micros(end)
        )
        document, people = scope_document(
            found,
            catalog=context.catalog,
            source=context.source,
            lead_authority=context.policy.lead_authority,
            on=(end - _MICRO).date(),
            engine=context.engine.name,
        )
        breach = Breach(
            id=f"brc_{to_micros(moment):014x}{secrets.token_hex(6)}",
            incident_id=incident_id,
            app_id=app_id,
            status=ASSESSING,
            description=description,
            discovered_at=discovered,
            window_start=window_start,
            window_end=end,
            scope=document,
            severity=severity(
                fields=list(document["by_field"]),
                minors=document["minors"],
                malicious=malicious,
                catalog=context.catalog,
            ),
            ftc=ftc(subjects=document["subjects"], discovered_at=discovered),
            exposure=exposure(
                special_category_subjects=document["special_category_subjects"],
                turnover_eur=context.policy.annual_turnover_eur,
            ),
            opened_at=moment,
            opened_by=actor.ref,
        )
        detail = {"incident_id": incident_id, "subjects": document["subjects"]}
        tx.breaches.add(breach, people, BreachEvent("opened", detail, moment, actor.ref))
    return breach


def get_breach(breaches: BreachStore, breach_id: str) -> Breach:
    found = breaches.get(breach_id)
    if found is None:
        raise BreachNotFound(breach_id)
    return found


def list_breaches(
    breaches: BreachStore,
    *,
    after: str | None,
    limit: int,
    app_id: str | None = None,
    status: str | None = None,
) -> list[Breach]:
    return breaches.page(after=after, limit=limit, app_id=app_id, status=status)


def breach_subjects(
    breaches: BreachStore, breach_id: str, *, after: str | None, limit: int
) -> tuple[Breach, list[BreachSubject]]:
    breach = get_breach(breaches, breach_id)
    return breach, breaches.subjects(breach_id, after=after, limit=limit)


def breach_events(breaches: BreachStore, breach_id: str) -> list[BreachEvent]:
    get_breach(breaches, breach_id)
    return breaches.events(breach_id)


def _step(
    stores: BreachStoresView,
    breach_id: str,
    change: Any,
    *,
    event: str,
    detail: dict[str, Any],
    actor: Actor,
    moment: datetime,
) -> Breach:
    with stores.transaction() as tx:
        current = get_breach(tx.breaches, breach_id)
        changed: Breach = change(current)
        tx.breaches.update(changed, BreachEvent(event, detail, moment, actor.ref))
    return changed


def assess(
    stores: BreachStoresView,
    breach_id: str,
    *,
    notifiable: bool,
    reason: str,
    actor: Actor,
    now: datetime | None = None,
) -> Breach:
    """Record the decision whether the breach must be notified (Art. 33(1), 33(5))."""
    moment = now or utc_now()
    if not reason.strip():
        raise InvalidInput("an assessment needs a reason")

    def change(breach: Breach) -> Breach:
        if breach.status not in (ASSESSING, NOT_NOTIFIABLE):
            raise InvalidTransition(f"breach {breach.id} is {breach.status}: it was decided")
        decision = {
            "notifiable": notifiable,
            "reason": reason,
            "at": rfc3339(moment),
            "actor": actor.ref,
        }
        return replace(
            breach, status=ASSESSING if notifiable else NOT_NOTIFIABLE, assessment=decision
        )

    detail = {"notifiable": notifiable, "reason": reason}
    return _step(
        stores, breach_id, change, event="assessed", detail=detail, actor=actor, moment=moment
    )


def notify(
    stores: BreachStoresView,
    breach_id: str,
    *,
    authority: str,
    reference: str,
    actor: Actor,
    late_reason: str | None = None,
    now: datetime | None = None,
) -> Breach:
    """Record that the authority was notified; past ``authority_due_at`` only with the
    reasons for the delay (Art. 33(1))."""
    moment = now or utc_now()
    if not authority.strip() or not reference.strip():
        raise InvalidInput("name the authority and its reference")
    reason = late_reason.strip() if late_reason is not None else ""

    def change(breach: Breach) -> Breach:
        if breach.status not in (ASSESSING, NOT_NOTIFIABLE):
            raise InvalidTransition(f"breach {breach.id} is {breach.status}: not notifiable now")
        if moment > breach.authority_due_at and not reason:
            raise InvalidInput(
                f"the authority was due by {rfc3339(breach.authority_due_at)} (72 hours after "
                "discovery): give late_reason, the reasons for the delay (Art. 33(1))"
            )
        return replace(
            breach,
            status=NOTIFIED,
            authority_notified_at=moment,
            authority=authority,
            reference=reference,
            late_reason=reason or None,
        )

    detail = {"authority": authority, "reference": reference, "late_reason": reason or None}
    return _step(
        stores, breach_id, change, event="notified", detail=detail, actor=actor, moment=moment
    )


def close(
    stores: BreachStoresView,
    breach_id: str,
    *,
    reason: str,
    actor: Actor,
    now: datetime | None = None,
) -> Breach:
    """Close a breach that was notified or found not notifiable."""
    moment = now or utc_now()
    if not reason.strip():
        raise InvalidInput("closing a breach needs a reason")

    def change(breach: Breach) -> Breach:
        if breach.status not in (NOTIFIED, NOT_NOTIFIABLE):
            raise InvalidTransition(
                f"breach {breach.id} is {breach.status}: notify or assess it first"
            )
        return replace(breach, status=CLOSED, closed_at=moment)

    return _step(
        stores,
        breach_id,
        change,
        event="closed",
        detail={"reason": reason},
        actor=actor,
        moment=moment,
    )
