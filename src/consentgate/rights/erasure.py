"""Erasure (GDPR Art. 17) as one orchestration, in the contract's order, each step one
transaction that also records the step in the request's history (and its ``step``):

1. ``consents_withdrawn`` — every consent of the person withdrawn: the next read is
   ``NO_CONSENT``;
2. ``notices_written`` — one Art. 19 notice per recipient the ledger names (Art. 17(2)),
   with its outbox row, before anything that would make the recipients unknowable;
3. ``source_erased`` — the record erased at the source (``Source.erase``: idempotent, and
   outside our transaction, so its step is recorded right after it returns);
4. ``key_shredded`` — ``shred_subject``'s transaction: an erasure leaf on the person's chain,
   their consents and history deleted, incident and breach lists forgotten, the processing state
   deleted, the pseudonym key shredded (I5: every proof still verifies).

Every step is idempotent and starts from the ``step`` recorded, so a crash between steps is
resumed (``resume_erasures``: at start-up and on every outbox round) and never leaves a
half-erased person: at worst a step runs twice. The request stays ``in_progress`` until every
notice is acknowledged, then ``completed``; it stays readable by operators afterwards.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import structlog

from consentgate.authz import Actor
from consentgate.clock import to_micros, utc_now
from consentgate.ledger import PLATFORM_APP, Entry
from consentgate.notices import NoticeType
from consentgate.rights.models import RequestEvent, RequestStatus, RequestType, RightsRequest
from consentgate.rights.notify import write_notices
from consentgate.rights.store import RequestStore
from consentgate.sources import Source, WritableSource
from consentgate.stores import Stores

__all__ = [
    "ERASURE_APP",
    "PLATFORM_APP",
    "STEPS",
    "ShredResult",
    "resume_erasures",
    "run_erasure",
    "shred_subject",
]

log = structlog.get_logger("consentgate.rights")

ERASURE_APP = PLATFORM_APP  # the party that records an erasure

STEPS = ("consents_withdrawn", "notices_written", "source_erased", "key_shredded")
SYSTEM = Actor.system("erasure")


@dataclass(frozen=True)
class ShredResult:
    erasure_leaf: int | None  # None: the person had never been disclosed
    consents_erased: int


def shred_subject(stores: Stores, subject_id: str, *, now: datetime | None = None) -> ShredResult:
    """Step 4 on its own (``consentgate ledger shred``): one transaction."""
    with stores.transaction() as tx:
        result = _shred(tx, subject_id, to_micros(now or utc_now()))
    stores.ledger.integrate()  # a checkpoint covers the erasure leaf at once
    return result


def _shred(tx: Stores, subject_id: str, moment: int) -> ShredResult:
    leaf = None
    if tx.ledger.subject_pseudonym(subject_id) is not None:
        [leaf] = tx.ledger.append(
            [
                Entry(
                    subject_id=subject_id,
                    app_id=ERASURE_APP,
                    fields=(),
                    purpose="erasure",
                    basis="gdpr-art17",
                    consent_id="",
                    request_id="req_erasure_" + secrets.token_urlsafe(9),
                    at_us=moment,
                    kind="erasure",
                )
            ]
        )
    erased = tx.consents.erase_subject(subject_id)
    tx.incidents.forget_subject(subject_id)
    tx.breaches.forget_subject(subject_id)
    tx.subjects.forget(subject_id)
    if leaf is not None:
        tx.ledger.shred(subject_id)
    return ShredResult(leaf, erased)


def run_erasure(
    stores: Stores,
    requests: RequestStore,
    request: RightsRequest,
    *,
    source: Source,
    scoped_id: Callable[[str, str], str],
    ack_days: int,
    now: datetime | None = None,
) -> RightsRequest:
    """Take ``request`` (an erasure in progress) through the steps still to do."""
    subject_id = request.subject_id
    done = STEPS.index(request.step) + 1 if request.step in STEPS else 0
    for step in STEPS[done:]:
        moment = now or utc_now()
        if step == "source_erased":
            if not isinstance(source, WritableSource):  # checked before the request too
                raise RuntimeError("an erasure needs a source that can erase")
            source.erase(subject_id)
        with stores.transaction() as tx:
            note = _step(tx, request, step, source, scoped_id, ack_days, moment)
            status = RequestStatus.IN_PROGRESS
            changes: dict[str, object] = {"step": step}
            if step == STEPS[-1] and _all_acknowledged(tx, request.id):
                status, changes["closed_at"] = RequestStatus.COMPLETED, moment
                note += "; no notice awaits acknowledgement: completed"
            updated = tx.joined(requests).update(
                request.id,
                from_status={RequestStatus.IN_PROGRESS},
                event=RequestEvent(moment, status, note, SYSTEM.ref),
                changes=changes,
            )
        if updated is None:  # rejected or finished meanwhile (another process resumed it)
            return requests.get(request.id) or request
        request = updated
        if step == "key_shredded":
            stores.ledger.integrate()
    return request


def _step(
    tx: Stores,
    request: RightsRequest,
    step: str,
    source: Source,
    scoped_id: Callable[[str, str], str],
    ack_days: int,
    moment: datetime,
) -> str:
    subject_id = request.subject_id
    if step == "consents_withdrawn":
        withdrawn = 0
        after = None
        while True:
            page = tx.consents.page(subject_id=subject_id, after=after, limit=1000)
            for consent in page:
                if consent.withdrawn_at is None and tx.consents.withdraw(
                    subject_id=subject_id, consent_id=consent.id, at_us=to_micros(moment)
                ):
                    withdrawn += 1
            if len(page) < 1000:
                break
            after = page[-1].id
        return f"{withdrawn} consents withdrawn: every read of this person is now NO_CONSENT"
    if step == "notices_written":
        written = write_notices(
            tx, request, kind=NoticeType.ERASURE, scoped_id=scoped_id, ack_days=ack_days, now=moment
        )
        total = len(tx.notices.of_request(request.id))
        return f"notices written to {total} recipients ({len(written)} in this step)"
    if step == "source_erased":
        return "the record was erased at the source"
    shred = _shred(tx, subject_id, to_micros(moment))
    leaf = (
        "no ledger entries" if shred.erasure_leaf is None else f"erasure leaf {shred.erasure_leaf}"
    )
    return f"ledger key shredded ({leaf}); {shred.consents_erased} consent records deleted"


def _all_acknowledged(tx: Stores, request_id: str) -> bool:
    return all(n.acknowledged_at is not None for n in tx.notices.of_request(request_id))


def complete_if_acknowledged(
    stores: Stores, requests: RequestStore, request_id: str, *, now: datetime
) -> RightsRequest | None:
    """An erasure past its last step whose notices are all acknowledged is completed
    (inside the caller's transaction when ``stores`` is one)."""
    joined = stores.joined(requests)
    request = joined.get(request_id)
    if (
        request is None
        or request.type is not RequestType.ERASURE
        or request.status is not RequestStatus.IN_PROGRESS
        or request.step != STEPS[-1]
        or not _all_acknowledged(stores, request_id)
    ):
        return None
    return joined.update(
        request_id,
        from_status={RequestStatus.IN_PROGRESS},
        event=RequestEvent(
            now, RequestStatus.COMPLETED, "every recipient acknowledged its notice", SYSTEM.ref
        ),
        changes={"closed_at": now},
    )


def resume_erasures(
    stores: Stores,
    requests: RequestStore,
    *,
    source: Source,
    scoped_id: Callable[[str, str], str],
    ack_days: int,
    min_age_s: float = 0.0,
) -> int:
    """Finish every erasure a crash interrupted; how many were taken up. ``min_age_s``
    leaves alone a request whose last step is more recent (one still being run by the
    request that started it: the outbox's sweep passes 60 s, start-up 0)."""
    cutoff = utc_now().timestamp() - min_age_s
    resumed = 0
    after = None
    while True:
        page = requests.page(
            status=RequestStatus.IN_PROGRESS, type=RequestType.ERASURE, after=after, limit=100
        )
        for request in page:
            if request.step == STEPS[-1] or (
                request.history and request.history[-1].at.timestamp() > cutoff
            ):
                continue
            try:
                run_erasure(
                    stores,
                    requests,
                    request,
                    source=source,
                    scoped_id=scoped_id,
                    ack_days=ack_days,
                )
                resumed += 1
                log.info("erasure_resumed", request_id=request.id)
            except Exception as exc:  # noqa: BLE001 — retried on the next sweep
                log.warning(
                    "erasure_resume_failed", request_id=request.id, error=type(exc).__name__
                )
        if len(page) < 100:
            return resumed
        after = page[-1].id
