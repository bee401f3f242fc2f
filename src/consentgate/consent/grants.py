"""Consents: grant, withdraw, renew, list — with an append-only history and signed receipts.

A grant that could never be valid is refused with the decision's own reason: it is checked
by running ``policy.decide`` on the would-be consent at the moment of the grant, so the grant
check and the read path cannot drift apart.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, bindparam, insert, select, update
from sqlalchemy.engine import Connection

from consentgate.apps.registry import App, get_app
from consentgate.catalog import Catalog
from consentgate.clock import from_micros, to_micros, utc_now
from consentgate.consent.receipts import ReceiptSigner, kantara_receipt
from consentgate.errors import (
    ConsentNotFound,
    GrantRefused,
    InvalidTransition,
    SubjectNotFound,
)
from consentgate.policy import ConsentView, Reason, decide
from consentgate.settings.consent import ConsentPolicy
from consentgate.sources.base import Source
from consentgate.storage.tables import consent_events, consents
from consentgate.validation import parse_model

__all__ = [
    "Consent",
    "ConsentEvent",
    "ConsentPolicy",
    "GrantRequest",
    "ParentalConsent",
    "consent_history",
    "get_consent",
    "grant_consent",
    "list_consents",
    "live_consents_by_subject",
    "live_consents_for",
    "renew_consent",
    "withdraw_consent",
]


class ParentalConsent(BaseModel):
    """Evidence that a holder of parental responsibility gave or authorised consent (Art. 8)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    guardian_name: Annotated[str, Field(min_length=1, max_length=200)]
    guardian_email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320)]
    method: Annotated[str, Field(min_length=1, max_length=100)]
    verified_at: datetime


class GrantRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    app_id: Annotated[str, Field(min_length=1, max_length=64)]
    purpose: Annotated[str, Field(min_length=1, max_length=64)]
    fields: Annotated[list[str], Field(min_length=1, max_length=64)]
    explicit: bool = False
    parental_consent: ParentalConsent | None = None
    notice_version: Annotated[str, Field(min_length=1, max_length=64)] = "1"


@dataclass(frozen=True, slots=True)
class Consent:
    id: str
    subject_id: str
    app_id: str
    purpose: str
    fields: tuple[str, ...]
    explicit: bool
    parental_consent: dict[str, Any] | None
    notice_version: str
    granted_at: datetime
    renewed_at: datetime | None
    expires_at: datetime
    withdrawn_at: datetime | None
    receipt: str

    def view(self, catalog: Catalog) -> ConsentView:
        return ConsentView(
            id=self.id,
            subject_id=self.subject_id,
            app_id=self.app_id,
            purpose=self.purpose,
            fields_mask=_mask(catalog, self.fields),
            explicit=self.explicit,
            parental=self.parental_consent is not None,
            granted_us=to_micros(self.granted_at),
            expires_us=to_micros(self.expires_at),
            withdrawn_us=None if self.withdrawn_at is None else to_micros(self.withdrawn_at),
        )

    def as_dict(self) -> dict[str, Any]:
        """The consent object of the HTTP contract."""
        return {
            "id": self.id,
            "app_id": self.app_id,
            "purpose": self.purpose,
            "fields": list(self.fields),
            "explicit": self.explicit,
            "parental_consent": self.parental_consent is not None,
            "notice_version": self.notice_version,
            "granted_at": self.granted_at.isoformat(),
            "renewed_at": None if self.renewed_at is None else self.renewed_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "withdrawn_at": None if self.withdrawn_at is None else self.withdrawn_at.isoformat(),
            "receipt": self.receipt,
        }


@dataclass(frozen=True, slots=True)
class ConsentEvent:
    consent_id: str
    event: str
    at: datetime
    expires_at: datetime | None


def grant_consent(
    engine: Engine,
    *,
    catalog: Catalog,
    source: Source,
    signer: ReceiptSigner,
    subject_id: str,
    request: GrantRequest | Mapping[str, Any],
    policy: ConsentPolicy | None = None,
    now: datetime | None = None,
) -> Consent:
    """Record a subject's consent to an app; refuses a grant that could never be valid."""
    grant = parse_model(GrantRequest, request, what="consent grant")
    policy = policy or ConsentPolicy()
    moment = now or utc_now()
    catalog.require_purpose(grant.purpose)
    fields = catalog.require_fields(grant.fields)
    app = get_app(engine, grant.app_id)
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
        )
    )
    parental = (
        None if grant.parental_consent is None else grant.parental_consent.model_dump(mode="json")
    )
    row = {
        "id": consent_id,
        "subject_id": subject_id,
        "app_id": app.id,
        "purpose": grant.purpose,
        "fields": fields,
        "explicit": grant.explicit,
        "parental_consent": parental,
        "notice_version": grant.notice_version,
        "granted_us": to_micros(moment),
        "renewed_us": None,
        "expires_us": to_micros(expires),
        "withdrawn_us": None,
        "receipt": receipt,
    }
    with engine.begin() as connection:
        connection.execute(insert(consents), [row])
        _event(connection, consent_id, "granted", to_micros(moment), to_micros(expires))
    return _from_row(row)


def withdraw_consent(
    engine: Engine, *, subject_id: str, consent_id: str, now: datetime | None = None
) -> Consent:
    """Withdraw a consent of ``subject_id`` (a consent of anyone else is not found)."""
    moment = to_micros(now or utc_now())
    with engine.begin() as connection:
        current = _own(connection, subject_id, consent_id)
        if current["withdrawn_us"] is not None:
            raise InvalidTransition(f"consent {consent_id!r} is already withdrawn")
        connection.execute(
            update(consents)
            .where(consents.c.id == consent_id, consents.c.withdrawn_us.is_(None))
            .values(withdrawn_us=moment)
        )
        _event(connection, consent_id, "withdrawn", moment, None)
    return get_consent(engine, subject_id=subject_id, consent_id=consent_id)


def renew_consent(
    engine: Engine,
    *,
    catalog: Catalog,
    source: Source,
    subject_id: str,
    consent_id: str,
    policy: ConsentPolicy | None = None,
    now: datetime | None = None,
) -> Consent:
    """Extend a consent for another TTL from ``now``; re-checked as a fresh grant would be."""
    policy = policy or ConsentPolicy()
    moment = now or utc_now()
    current = get_consent(engine, subject_id=subject_id, consent_id=consent_id)
    if current.withdrawn_at is not None:
        raise InvalidTransition(
            f"consent {consent_id!r} was withdrawn: grant a new consent instead of renewing"
        )
    expires = moment + timedelta(days=policy.ttl_days)
    _check_grantable(
        catalog=catalog,
        source=source,
        app=get_app(engine, current.app_id),
        subject_id=subject_id,
        consent_id=consent_id,
        purpose=current.purpose,
        fields=list(current.fields),
        explicit=current.explicit,
        parental=current.parental_consent is not None,
        now=moment,
        expires=expires,
    )
    with engine.begin() as connection:
        result = connection.execute(
            update(consents)
            .where(consents.c.id == consent_id, consents.c.withdrawn_us.is_(None))
            .values(renewed_us=to_micros(moment), expires_us=to_micros(expires))
        )
        if result.rowcount != 1:
            raise InvalidTransition(f"consent {consent_id!r} was withdrawn meanwhile")
        _event(connection, consent_id, "renewed", to_micros(moment), to_micros(expires))
    return get_consent(engine, subject_id=subject_id, consent_id=consent_id)


def get_consent(engine: Engine, *, subject_id: str, consent_id: str) -> Consent:
    with engine.connect() as connection:
        return _from_row(_own(connection, subject_id, consent_id))


def list_consents(
    engine: Engine,
    *,
    subject_id: str | None = None,
    app_id: str | None = None,
    after: str | None = None,
    limit: int = 100,
) -> list[Consent]:
    """Consents ordered by id, filtered by subject and/or app; ``after`` pages on."""
    statement = select(consents).order_by(consents.c.id).limit(max(1, min(limit, 1000)))
    if subject_id is not None:
        statement = statement.where(consents.c.subject_id == subject_id)
    if app_id is not None:
        statement = statement.where(consents.c.app_id == app_id)
    if after is not None:
        statement = statement.where(consents.c.id > after)
    with engine.connect() as connection:
        return [_from_row(row) for row in connection.execute(statement).mappings()]


def live_consents_for(
    connection: Connection, *, subject_id: str, app_id: str, catalog: Catalog
) -> list[ConsentView]:
    """A subject's not-withdrawn consents to one app, as decision views (read path)."""
    rows = connection.execute(_LIVE_FOR, {"subject_id": subject_id, "app_id": app_id})
    return [_view_of(row, catalog) for row in rows]


# the read path loads only what the decision looks at (not the receipt, notice or evidence)
_VIEW_COLUMNS = (
    consents.c.id,
    consents.c.subject_id,
    consents.c.app_id,
    consents.c.purpose,
    consents.c.fields,
    consents.c.explicit,
    consents.c.parental_consent.is_not(None).label("parental"),
    consents.c.granted_us,
    consents.c.expires_us,
    consents.c.withdrawn_us,
)
_LIVE_FOR = select(*_VIEW_COLUMNS).where(
    consents.c.subject_id == bindparam("subject_id"),
    consents.c.app_id == bindparam("app_id"),
    consents.c.withdrawn_us.is_(None),
)


def _view_of(row: Any, catalog: Catalog) -> ConsentView:
    return ConsentView(
        id=row.id,
        subject_id=row.subject_id,
        app_id=row.app_id,
        purpose=row.purpose,
        fields_mask=_mask(catalog, row.fields),
        explicit=bool(row.explicit),
        parental=bool(row.parental),
        granted_us=row.granted_us,
        expires_us=row.expires_us,
        withdrawn_us=row.withdrawn_us,
    )


def _mask(catalog: Catalog, fields: Sequence[str]) -> int:
    """The catalog bitmask of ``fields`` (names the catalog no longer has count for none)."""
    return catalog.mask(f for f in fields if f in catalog.field_bits)


def live_consents_by_subject(
    connection: Connection,
    *,
    subject_ids: Sequence[str],
    app_id: str,
    purpose: str,
    catalog: Catalog,
) -> dict[str, list[ConsentView]]:
    """Not-withdrawn consents of several subjects to one app for one purpose (friends)."""
    found: dict[str, list[ConsentView]] = {}
    unique = list(dict.fromkeys(subject_ids))
    for start in range(0, len(unique), 500):
        statement = select(*_VIEW_COLUMNS).where(
            consents.c.subject_id.in_(unique[start : start + 500]),
            consents.c.app_id == app_id,
            consents.c.purpose == purpose,
            consents.c.withdrawn_us.is_(None),
        )
        for row in connection.execute(statement):
            found.setdefault(row.subject_id, []).append(_view_of(row, catalog))
    return found


def consent_history(engine: Engine, *, consent_id: str) -> list[ConsentEvent]:
    statement = (
        select(consent_events)
        .where(consent_events.c.consent_id == consent_id)
        .order_by(consent_events.c.seq)
    )
    with engine.connect() as connection:
        return [
            ConsentEvent(
                consent_id=row.consent_id,
                event=row.event,
                at=from_micros(row.at_us),
                expires_at=None if row.expires_us is None else from_micros(row.expires_us),
            )
            for row in connection.execute(statement)
        ]


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


def _own(connection: Connection, subject_id: str, consent_id: str) -> Mapping[Any, Any]:
    row = (
        connection.execute(
            select(consents).where(consents.c.id == consent_id, consents.c.subject_id == subject_id)
        )
        .mappings()
        .first()
    )
    if row is None:
        raise ConsentNotFound(consent_id)
    return row


def _event(
    connection: Connection, consent_id: str, event: str, at_us: int, expires_us: int | None
) -> None:
    connection.execute(
        insert(consent_events),
        [{"consent_id": consent_id, "event": event, "at_us": at_us, "expires_us": expires_us}],
    )


def _from_row(row: Mapping[Any, Any]) -> Consent:
    return Consent(
        id=row["id"],
        subject_id=row["subject_id"],
        app_id=row["app_id"],
        purpose=row["purpose"],
        fields=tuple(row["fields"]),
        explicit=bool(row["explicit"]),
        parental_consent=row["parental_consent"],
        notice_version=row["notice_version"],
        granted_at=from_micros(row["granted_us"]),
        renewed_at=None if row["renewed_us"] is None else from_micros(row["renewed_us"]),
        expires_at=from_micros(row["expires_us"]),
        withdrawn_at=None if row["withdrawn_us"] is None else from_micros(row["withdrawn_us"]),
        receipt=row["receipt"],
    )
