"""The consent lifecycle: grant, withdraw, renew, read — over a ``ConsentStore`` (and the
``AppStore`` for the app consented to), with signed receipts.

A grant that could never be valid is refused with the decision's own reason: it is checked
by running ``policy.decide`` on the would-be consent at the moment of the grant, so the grant
check and the read path cannot drift apart.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from consentgate.apps import App, AppStore, get_app
from consentgate.authz import Actor
from consentgate.catalog import Catalog
from consentgate.clock import to_micros, utc_now
from consentgate.consent.live import is_live
from consentgate.consent.receipts import ReceiptSigner, kantara_receipt
from consentgate.consent.records import Consent, ConsentEvent
from consentgate.consent.requests import GrantRequest
from consentgate.consent.store import ConsentStore
from consentgate.errors import (
    ConsentNotFound,
    GrantRefused,
    InvalidTransition,
    SubjectNotFound,
)
from consentgate.policy import ConsentView, Reason, SubjectState, decide
from consentgate.settings.consent import ConsentPolicy
from consentgate.sources import Source
from consentgate.validation import parse_model

__all__ = [
    "consent_history",
    "daily_activity",
    "get_consent",
    "grant_consent",
    "list_consents",
    "live_consents",
    "renew_consent",
    "withdraw_all",
    "withdraw_consent",
]


def grant_consent(
    consents: ConsentStore,
    *,
    apps: AppStore,
    catalog: Catalog,
    source: Source,
    signer: ReceiptSigner,
    subject_id: str,
    request: GrantRequest | Mapping[str, Any],
    policy: ConsentPolicy | None = None,
    state: SubjectState = SubjectState.NONE,
    now: datetime | None = None,
    recorded_by: Actor | None = None,
) -> Consent:
    """Record a subject's consent to an app; refuses a grant that could never be valid —
    also one for a purpose the subject objects to (``state``, their processing state:
    403 ``OBJECTION``). ``recorded_by``: the operator recording it on the person's behalf
    (None: the person themself), named in the receipt."""
    grant = parse_model(GrantRequest, request, what="consent grant")
    policy = policy or ConsentPolicy()
    moment = now or utc_now()
    catalog.require_purpose(grant.purpose)
    fields = catalog.require_fields(grant.fields)
    app = get_app(apps, grant.app_id)
    expires = moment + timedelta(days=policy.ttl_days)
    consent_id = "cns_" + secrets.token_urlsafe(16)
    _check_grantable(
        catalog=catalog,
        source=source,
        app=app,
        subject_id=subject_id,
        consent_id=consent_id,
        purpose=grant.purpose,
        fields=fields,
        explicit=grant.explicit,
        parental=grant.parental_consent is not None,
        now=moment,
        expires=expires,
        objections=state.objections,
    )
    purpose_spec = catalog.purposes[grant.purpose]
    special = [str(catalog.fields[f].special_category) for f in fields if catalog.fields[f].special]
    receipt = signer.sign(
        kantara_receipt(
            consent_id=consent_id,
            subject_id=subject_id,
            app_id=app.id,
            app_name=app.name,
            developer_name=app.developer.name,
            policy_url=app.privacy_policy_url,
            purpose_label=purpose_spec.label,
            purpose_dpv=purpose_spec.dpv,
            fields=fields,
            special_categories=special,
            explicit=grant.explicit,
            parental=grant.parental_consent is not None,
            notice_version=grant.notice_version,
            granted_at=moment,
            expires_at=expires,
            controller_name=policy.controller_name,
            controller_email=policy.controller_email,
            jurisdiction=policy.jurisdiction,
            recorded_by=None if recorded_by is None else recorded_by.ref,
        )
    )
    parental = (
        None if grant.parental_consent is None else grant.parental_consent.model_dump(mode="json")
    )
    consent = Consent(
        id=consent_id,
        subject_id=subject_id,
        app_id=app.id,
        purpose=grant.purpose,
        fields=tuple(fields),
        explicit=grant.explicit,
        parental_consent=parental,
        notice_version=grant.notice_version,
        granted_at=moment,
        renewed_at=None,
        expires_at=expires,
        withdrawn_at=None,
        receipt=receipt,
    )
    consents.add(consent)
    return consent


def withdraw_consent(
    consents: ConsentStore, *, subject_id: str, consent_id: str, now: datetime | None = None
) -> Consent:
    """Withdraw a consent of ``subject_id`` (a consent of anyone else is not found). Of two
    concurrent withdrawals one wins; the other is told it was withdrawn already."""
    if not consents.withdraw(
        subject_id=subject_id, consent_id=consent_id, at_us=to_micros(now or utc_now())
    ):
        get_consent(consents, subject_id=subject_id, consent_id=consent_id)  # not found?
        raise InvalidTransition(f"consent {consent_id!r} is already withdrawn")
    return get_consent(consents, subject_id=subject_id, consent_id=consent_id)


def renew_consent(
    consents: ConsentStore,
    *,
    apps: AppStore,
    catalog: Catalog,
    source: Source,
    subject_id: str,
    consent_id: str,
    policy: ConsentPolicy | None = None,
    state: SubjectState = SubjectState.NONE,
    now: datetime | None = None,
) -> Consent:
    """Extend a consent for another TTL from ``now``; re-checked as a fresh grant would be
    (``state``: the subject's processing state, as for a grant)."""
    policy = policy or ConsentPolicy()
    moment = now or utc_now()
    current = get_consent(consents, subject_id=subject_id, consent_id=consent_id)
    if current.withdrawn_at is not None:
        raise InvalidTransition(
            f"consent {consent_id!r} was withdrawn: grant a new consent instead of renewing"
        )
    expires = moment + timedelta(days=policy.ttl_days)
    _check_grantable(
        catalog=catalog,
        source=source,
        app=get_app(apps, current.app_id),
        subject_id=subject_id,
        consent_id=consent_id,
        purpose=current.purpose,
        fields=list(current.fields),
        explicit=current.explicit,
        parental=current.parental_consent is not None,
        now=moment,
        expires=expires,
        objections=state.objections,
    )
    if not consents.renew(
        consent_id=consent_id, at_us=to_micros(moment), expires_us=to_micros(expires)
    ):
        raise InvalidTransition(f"consent {consent_id!r} was withdrawn meanwhile")
    return get_consent(consents, subject_id=subject_id, consent_id=consent_id)


def get_consent(consents: ConsentStore, *, subject_id: str, consent_id: str) -> Consent:
    found = consents.get(subject_id=subject_id, consent_id=consent_id)
    if found is None:
        raise ConsentNotFound(consent_id)
    return found


def list_consents(
    consents: ConsentStore,
    *,
    subject_id: str | None = None,
    app_id: str | None = None,
    after: str | None = None,
    limit: int = 100,
) -> list[Consent]:
    """Consents ordered by id, filtered by subject and/or app; ``after`` pages on."""
    return consents.page(subject_id=subject_id, app_id=app_id, after=after, limit=limit)


def live_consents(
    consents: ConsentStore, *, subject_id: str, now: datetime | None = None
) -> list[Consent]:
    """Every consent of ``subject_id`` that is live at ``now`` (granted, not expired, not
    withdrawn), ordered by id."""
    now_us = to_micros(now or utc_now())
    found: list[Consent] = []
    after: str | None = None
    while True:
        page = consents.page(subject_id=subject_id, after=after, limit=500)
        found += [
            c
            for c in page
            if is_live(
                granted_us=to_micros(c.granted_at),
                expires_us=to_micros(c.expires_at),
                withdrawn_us=None if c.withdrawn_at is None else to_micros(c.withdrawn_at),
                now_us=now_us,
            )
        ]
        if len(page) < 500:
            return found
        after = page[-1].id


def withdraw_all(
    consents: ConsentStore, *, subject_id: str, now: datetime | None = None
) -> list[Consent]:
    """Withdraw every live consent of ``subject_id``; the consents withdrawn (one withdrawn
    meanwhile by another request is skipped, not an error)."""
    moment = now or utc_now()
    withdrawn = []
    for consent in live_consents(consents, subject_id=subject_id, now=moment):
        if consents.withdraw(subject_id=subject_id, consent_id=consent.id, at_us=to_micros(moment)):
            withdrawn.append(consent)
    return withdrawn


def daily_activity(
    consents: ConsentStore, *, since: date, until: date
) -> dict[str, dict[date, int]]:
    """How many consents were granted and how many withdrawn on each UTC day from
    ``since`` to ``until`` (both included): ``{"granted": {day: n}, "withdrawn": {...}}``.
    Reads every consent (one page at a time)."""
    counts: dict[str, dict[date, int]] = {"granted": {}, "withdrawn": {}}
    after: str | None = None
    while True:
        page = consents.page(after=after, limit=1000)
        for consent in page:
            for kind, moment in (
                ("granted", consent.granted_at),
                ("withdrawn", consent.withdrawn_at),
            ):
                if moment is not None and since <= (day := moment.astimezone(UTC).date()) <= until:
                    counts[kind][day] = counts[kind].get(day, 0) + 1
        if len(page) < 1000:
            return counts
        after = page[-1].id


def consent_history(consents: ConsentStore, *, consent_id: str) -> list[ConsentEvent]:
    return consents.history(consent_id)


def _check_grantable(
    *,
    catalog: Catalog,
    source: Source,
    app: App,
    subject_id: str,
    consent_id: str,
    purpose: str,
    fields: Sequence[str],
    explicit: bool,
    parental: bool,
    now: datetime,
    expires: datetime,
    objections: frozenset[str] = frozenset(),
) -> None:
    subject = source.attributes([subject_id]).get(subject_id)
    if subject is None:
        raise SubjectNotFound(subject_id)
    candidate = ConsentView(
        id=consent_id,
        subject_id=subject_id,
        app_id=app.id,
        purpose=purpose,
        fields_mask=catalog.mask(fields),
        explicit=explicit,
        parental=parental,
        granted_us=to_micros(now),
        expires_us=to_micros(expires),
    )
    decision = decide(
        app=app.view(catalog),
        subject=subject,
        consents=[candidate],
        purpose=purpose,
        fields=fields,
        catalog=catalog,
        now=now,
        # an objection refuses new consents for its purposes; a restriction does not (it
        # governs reads, and lifting it must not need the consents given meanwhile again)
        state=SubjectState(objections=objections) if objections else SubjectState.NONE,
    )
    if decision.reason is Reason.OBJECTION:
        raise GrantRefused(
            Reason.OBJECTION, _refusal_message(Reason.OBJECTION, app.id, purpose, "")
        )
    for field in fields:
        reason = decision.withheld.get(field)
        if reason is not None:
            raise GrantRefused(reason, _refusal_message(reason, app.id, purpose, field))


_REFUSALS = {
    Reason.APP_NOT_APPROVED: (
        "app {app} is not approved: consent can be given once it passes review"
    ),
    Reason.APP_SUSPENDED: "app {app} is suspended: no new consent can be given to it",
    Reason.PURPOSE_NOT_DECLARED: "app {app} did not declare purpose {purpose!r}",
    Reason.OBJECTION: (
        "the subject objects to purpose {purpose!r}: withdraw the objection first "
        "(DELETE /v1/me/objections/{purpose})"
    ),
    Reason.FIELD_FORBIDDEN: "field {field!r} is never released to third-party apps",
    Reason.FIELD_NOT_APPROVED: "field {field!r} was not approved for app {app} at review",
    Reason.EXPLICIT_CONSENT_REQUIRED: (
        "field {field!r} for purpose {purpose!r} needs explicit consent: set explicit=true"
    ),
    Reason.PARENTAL_CONSENT_REQUIRED: (
        "the subject is below the age of digital consent in their country: "
        "parental_consent evidence is required"
    ),
}


def _refusal_message(reason: Reason, app_id: str, purpose: str, field: str) -> str:
    template = _REFUSALS.get(reason, "consent for field {field!r} could never be valid ({reason})")
    return template.format(app=repr(app_id), purpose=purpose, field=field, reason=reason.value)
