"""The decision loader: the state one read depends on (the app, the subject's consents not
withdrawn, the subject's processing state — restriction, objections — and attributes), then
``policy.decide`` — failing closed on any error (I3). ``evaluate_subject_access`` also
gives the subject's attributes the decision was made on (the read path records their
country with the disclosure).

The processing state is read with every decision, on the same connection as the consents
(one primary-key lookup): a restriction or objection recorded by any process applies to the
very next read (I4). Given a ``DecisionCache`` (``gateway/hot.py``; the server's read path
on SQL stores), the app, the consents and the state come from memory instead, checked per
read against the version the database bumps on every change to them — the same I4."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from consentgate.catalog import Catalog
from consentgate.clock import to_micros, utc_now
from consentgate.gateway.hot import DecisionCache
from consentgate.policy import (
    AppView,
    ConsentView,
    Decision,
    Reason,
    SubjectState,
    SubjectView,
    decide,
)
from consentgate.sources import Source
from consentgate.stores import Stores

__all__ = ["evaluate_access", "evaluate_subject_access"]


def evaluate_access(
    stores: Stores,
    *,
    catalog: Catalog,
    source: Source,
    app_id: str,
    subject_id: str | None,
    purpose: str,
    fields: Sequence[str],
    now: datetime | None = None,
) -> Decision:
    """The decision for one read of ``fields`` of ``subject_id`` by ``app_id``, at ``now``.
    A ``subject_id`` of None (an id that resolved to nobody) is decided as an unknown
    subject, exactly like a subject who never consented (I6).

    Unknown field or purpose names raise ``UnknownField`` / ``UnknownPurpose``; every other
    failure (storage, source) withholds every field with ``DECISION_ERROR``.
    """
    decision, _ = evaluate_subject_access(
        stores,
        catalog=catalog,
        source=source,
        app_id=app_id,
        subject_id=subject_id,
        purpose=purpose,
        fields=fields,
        now=now,
    )
    return decision


def evaluate_subject_access(
    stores: Stores,
    *,
    catalog: Catalog,
    source: Source,
    app_id: str,
    subject_id: str | None,
    purpose: str,
    fields: Sequence[str],
    now: datetime | None = None,
    cache: DecisionCache | None = None,
) -> tuple[Decision, SubjectView | None]:
    """``evaluate_access``, and the subject's attributes it decided on (None: unknown, or
    the decision could not be made); the decision state from ``cache`` when given."""
    catalog.require_purpose(purpose)
    requested = catalog.require_fields(fields)
    moment = now or utc_now()
    try:
        if cache is not None:
            version = cache.check()  # first: anything changed before now is seen (I4)
            app = cache.app(version, app_id)
            now_us = to_micros(moment)
            consents = (
                [] if subject_id is None else cache.consents(version, subject_id, app_id, now_us)
            )
            state = (
                SubjectState.NONE
                if subject_id is None or not consents
                else cache.state(version, subject_id)
            )
            subject = (
                None if subject_id is None else source.attributes([subject_id]).get(subject_id)
            )
        else:
            app, consents, state, subject = _load(
                stores, catalog, source, app_id, subject_id, moment
            )
    except Exception:  # noqa: BLE001 — I3: the decision path fails closed
        failed = Decision(
            (), dict.fromkeys(requested, Reason.DECISION_ERROR), {}, Reason.DECISION_ERROR
        )
        return failed, None
    decision = decide(
        app=app,
        subject=subject,
        consents=consents,
        purpose=purpose,
        fields=requested,
        catalog=catalog,
        now=moment,
        state=state,
    )
    return decision, subject


def _load(
    stores: Stores,
    catalog: Catalog,
    source: Source,
    app_id: str,
    subject_id: str | None,
    moment: datetime,
) -> tuple[AppView | None, list[ConsentView], SubjectState, SubjectView | None]:
    """The decision state from the stores, on one connection."""
    with stores.reading() as read:  # one connection for both
        app = read.apps.view(app_id, catalog)
        consents = (
            []
            if subject_id is None
            else read.consents.decision_views(
                subject_id=subject_id, app_id=app_id, catalog=catalog, now_us=to_micros(moment)
            )
        )
        state = (
            SubjectState.NONE
            if subject_id is None or not consents
            else read.subjects.decision_state(subject_id)
        )
    subject = None if subject_id is None else source.attributes([subject_id]).get(subject_id)
    return app, consents, state, subject
