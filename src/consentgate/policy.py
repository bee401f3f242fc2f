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
  digital consent (or their birth date is unknown);
  the subject's processing is not restricted (Art. 18) and they have not objected to the
  purpose (Art. 21);
  for ``political_campaigning`` on a day (UTC) inside an election window for the subject's
  country (any open window when the country is unknown): the field is not a special
  category, the subject has reached the window's voting age that day (a known birth date),
  and the app's developer is in the EU/EEA (a known country).

The same rule is written in Cedar in ``policies/consent.cedar``; a differential test holds
the two to the same answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import ClassVar

from consentgate.catalog import EEA_COUNTRIES, POLITICAL_PURPOSE, Catalog
from consentgate.clock import to_micros, ymd

__all__ = [
    "AppStatus",
    "AppView",
    "ConsentView",
    "Decision",
    "Reason",
    "SubjectState",
    "SubjectView",
    "decide",
    "needs_parental_consent",
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
    SUBJECT_RESTRICTED = "SUBJECT_RESTRICTED"
    OBJECTION = "OBJECTION"
    ELECTION_SAFEGUARD = "ELECTION_SAFEGUARD"
    DECISION_ERROR = "DECISION_ERROR"


class AppStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


@dataclass(frozen=True, slots=True)
class AppView:
    """An app as the rule sees it; ``developer_country`` (ISO 3166-1 alpha-2, None when
    unknown) matters only inside election windows, where unknown counts as outside the
    EU/EEA."""

    id: str
    status: AppStatus
    purposes: frozenset[str]
    approved_mask: int
    developer_country: str | None = None


@dataclass(frozen=True, slots=True)
class SubjectView:
    id: str
    country: str | None
    birth_date: date | None


@dataclass(frozen=True, slots=True)
class SubjectState:
    """A person's processing state, for every app: ``restricted`` (GDPR Art. 18: nothing of
    theirs is released) and ``objections`` (Art. 21: purpose ids nothing of theirs is
    released for). ``SubjectState.NONE`` is neither."""

    restricted: bool = False
    objections: frozenset[str] = frozenset()

    NONE: ClassVar[SubjectState]


SubjectState.NONE = SubjectState()


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


def needs_parental_consent(subject: SubjectView, *, catalog: Catalog, now: datetime) -> bool:
    """Below the age of digital consent of the subject's country on ``now`` (Art. 8), or of
    unknown birth date (fail closed)."""
    return subject.birth_date is None or (
        ymd(now.date()) - ymd(subject.birth_date) < catalog.age_of_consent(subject.country) * 10000
    )


def decide(
    *,
    app: AppView | None,
    subject: SubjectView | None,
    consents: Sequence[ConsentView],
    purpose: str,
    fields: Sequence[str],
    catalog: Catalog,
    now: datetime,
    state: SubjectState = SubjectState.NONE,
) -> Decision:
    """Decide which of ``fields`` of ``subject`` may be released to ``app`` for ``purpose``.

    ``state`` is the subject's processing state (restriction, objections); the default is
    none. ``fields`` must be catalog field names and ``purpose`` a catalog purpose (callers
    validate them and answer ``UNKNOWN_FIELD`` / ``UNKNOWN_PURPOSE``); anything else, and
    any other error, withholds every field with ``DECISION_ERROR``.
    """
    try:
        return _decide(app, subject, consents, purpose, fields, catalog, now, state)
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
    state: SubjectState,
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
    # from here on the app holds a consent of this person: only now may it learn more (I6)
    if state.restricted:
        return _deny_all(requested, Reason.SUBJECT_RESTRICTED)
    if purpose in state.objections:
        return _deny_all(requested, Reason.OBJECTION)
    in_window = False
    if purpose == POLITICAL_PURPOSE and catalog.elections:
        in_window, refused = _election_safeguards(app, subject, catalog, now)
        if refused:
            return _deny_all(requested, Reason.ELECTION_SAFEGUARD)
    for_purpose = [c for c in own if c.purpose == purpose]
    if not for_purpose:
        return _deny_all(requested, Reason.PURPOSE_NOT_CONSENTED)
    live = [c for c in for_purpose if now_us < c.expires_us]
    if not live:
        return _deny_all(requested, Reason.CONSENT_EXPIRED)

    minor = needs_parental_consent(subject, catalog=catalog, now=now)
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
        if in_window and bit & catalog.special_mask:  # before consent: says nothing of it
            withheld[name] = Reason.ELECTION_SAFEGUARD
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


def _election_safeguards(
    app: AppView, subject: SubjectView, catalog: Catalog, now: datetime
) -> tuple[bool, bool]:
    """For a political read: whether the UTC day of ``now`` is inside an election window
    for the subject (then special-category fields are withheld), and whether the whole read
    is refused — the subject is below the window's voting age that day (or of unknown age)
    or the app's developer is not known to be in the EU/EEA."""
    day = ymd(now.astimezone(UTC).date())
    voting_age = catalog.election_voting_age(subject.country, day)
    if voting_age is None:
        return False, False
    under_age = subject.birth_date is None or day - ymd(subject.birth_date) < voting_age * 10000
    outside_eea = (app.developer_country or "").upper() not in EEA_COUNTRIES
    return True, under_age or outside_eea
