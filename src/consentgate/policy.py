"""The decision: which requested fields of one subject's record may go to one app, now.

``decide`` is pure (no I/O, no clock, no globals) and fails closed: any error inside the
rule withholds every field with ``DECISION_ERROR``. It works on plain views of the app, the
subject and the subject's consents, with field sets as catalog bitmasks.

A field is released only if, at ``now`` (I1):
  the app exists, is approved and not suspended, and declared the purpose;
  the field is not forbidden to third parties and was approved for the app;
  a consent *of this subject* to *this app* for *this purpose* covering the field is live
  (granted at or before ``now``, not expired, not withdrawn at or before ``now``);
  that consent is explicit if the field is a special category or the purpose requires it;
  that consent carries parental evidence if the subject is under their country's age of
  digital consent (or their birth date is unknown).

The same rule is written in Cedar in ``policies/consent.cedar``; a differential test holds
the two to the same answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from consentgate.catalog import Catalog
from consentgate.clock import to_micros, ymd

__all__ = [
    "AppStatus",
    "AppView",
    "ConsentView",
    "Decision",
    "Reason",
    "SubjectView",
    "decide",
]


class Reason(StrEnum):
    """Stable reason codes (part of the HTTP contract)."""

    APP_NOT_APPROVED = "APP_NOT_APPROVED"
    APP_SUSPENDED = "APP_SUSPENDED"
    PURPOSE_NOT_DECLARED = "PURPOSE_NOT_DECLARED"
    FIELD_NOT_APPROVED = "FIELD_NOT_APPROVED"
    FIELD_FORBIDDEN = "FIELD_FORBIDDEN"
    NO_CONSENT = "NO_CONSENT"
    CONSENT_EXPIRED = "CONSENT_EXPIRED"
    PURPOSE_NOT_CONSENTED = "PURPOSE_NOT_CONSENTED"
    FIELD_NOT_CONSENTED = "FIELD_NOT_CONSENTED"
    EXPLICIT_CONSENT_REQUIRED = "EXPLICIT_CONSENT_REQUIRED"
    PARENTAL_CONSENT_REQUIRED = "PARENTAL_CONSENT_REQUIRED"
    DECISION_ERROR = "DECISION_ERROR"


class AppStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


@dataclass(frozen=True, slots=True)
class AppView:
    id: str
    status: AppStatus
    purposes: frozenset[str]
    approved_mask: int


@dataclass(frozen=True, slots=True)
class SubjectView:
    id: str
    country: str | None
    birth_date: date | None


@dataclass(frozen=True, slots=True)
class ConsentView:
    """One consent as the rule sees it; times are microseconds since the epoch."""

    id: str
    subject_id: str
    app_id: str
    purpose: str
    fields_mask: int
    explicit: bool
    parental: bool
    granted_us: int
    expires_us: int
    withdrawn_us: int | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """Allowed fields (in request order) with the consent that covers each, and a reason for
    every withheld field. ``reason`` is set when nothing may be released."""

    allowed: tuple[str, ...]
    withheld: dict[str, Reason]
    consent_for: dict[str, str]
    reason: Reason | None

    @property
    def permitted(self) -> bool:
        return bool(self.allowed)


def decide(
    *,
    app: AppView | None,
    subject: SubjectView | None,
    consents: Sequence[ConsentView],
    purpose: str,
    fields: Sequence[str],
    catalog: Catalog,
    now: datetime,
) -> Decision:
    """Decide which of ``fields`` of ``subject`` may be released to ``app`` for ``purpose``.

    ``fields`` must be catalog field names and ``purpose`` a catalog purpose (callers validate
    them and answer ``UNKNOWN_FIELD`` / ``UNKNOWN_PURPOSE``); anything else, and any other
    error, withholds every field with ``DECISION_ERROR``.
    """
    try:
        return _decide(app, subject, consents, purpose, fields, catalog, now)
    except Exception:  # noqa: BLE001 — I3: an error in the decision path denies
        requested = list(dict.fromkeys(fields)) if isinstance(fields, Sequence) else []
        return _deny_all(requested, Reason.DECISION_ERROR)


def _deny_all(requested: Sequence[str], reason: Reason) -> Decision:
    return Decision((), dict.fromkeys(requested, reason), {}, reason)


def _decide(
    app: AppView | None,
    subject: SubjectView | None,
    consents: Sequence[ConsentView],
    purpose: str,
    fields: Sequence[str],
    catalog: Catalog,
    now: datetime,
) -> Decision:
    requested = list(dict.fromkeys(fields))
    bits = catalog.field_bits
    purpose_spec = catalog.purposes[purpose]  # KeyError → DECISION_ERROR
    for name in requested:
        bits[name]

    if app is None:
        return _deny_all(requested, Reason.APP_NOT_APPROVED)
    if app.status == AppStatus.SUSPENDED:
        return _deny_all(requested, Reason.APP_SUSPENDED)
    if app.status != AppStatus.APPROVED:  # pending, rejected, or anything unexpected
        return _deny_all(requested, Reason.APP_NOT_APPROVED)
    if purpose not in app.purposes:
        return _deny_all(requested, Reason.PURPOSE_NOT_DECLARED)
    if subject is None:
        return _deny_all(requested, Reason.NO_CONSENT)

    now_us = to_micros(now)
    own = [
        c
        for c in consents
        if c.subject_id == subject.id
        and c.app_id == app.id
        and c.granted_us <= now_us
        and (c.withdrawn_us is None or now_us < c.withdrawn_us)
    ]
    if not own:
        return _deny_all(requested, Reason.NO_CONSENT)
    for_purpose = [c for c in own if c.purpose == purpose]
    if not for_purpose:
        return _deny_all(requested, Reason.PURPOSE_NOT_CONSENTED)
    live = [c for c in for_purpose if now_us < c.expires_us]
    if not live:
        return _deny_all(requested, Reason.CONSENT_EXPIRED)

    minor = subject.birth_date is None or (
        ymd(now.date()) - ymd(subject.birth_date) < catalog.age_of_consent(subject.country) * 10000
    )
    explicit_purpose = purpose_spec.explicit_required
    allowed: list[str] = []
    withheld: dict[str, Reason] = {}
    consent_for: dict[str, str] = {}
    for name in requested:
        bit = bits[name]
        if bit & catalog.forbidden_mask:
            withheld[name] = Reason.FIELD_FORBIDDEN
            continue
        if not bit & app.approved_mask:
            withheld[name] = Reason.FIELD_NOT_APPROVED
            continue
        covering = [c for c in live if c.fields_mask & bit]
        if not covering:
            withheld[name] = Reason.FIELD_NOT_CONSENTED
            continue
        if explicit_purpose or bit & catalog.special_mask:
            covering = [c for c in covering if c.explicit]
            if not covering:
                withheld[name] = Reason.EXPLICIT_CONSENT_REQUIRED
                continue
        if minor:
            covering = [c for c in covering if c.parental]
            if not covering:
                withheld[name] = Reason.PARENTAL_CONSENT_REQUIRED
                continue
        allowed.append(name)
        consent_for[name] = covering[0].id

    reason = None if allowed else (withheld[requested[0]] if requested else Reason.NO_CONSENT)
    return Decision(tuple(allowed), withheld, consent_for, reason)
