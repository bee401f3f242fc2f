"""Rights requests (GDPR Art. 12, 15-22): submitting one — by the person, or by an operator
on their behalf — acting on it at once where the contract says so, the operator's steps
(extend, reject, lift) and the person's own (lift a restriction, withdraw an objection),
acknowledgements of notices, and the enforcement of their deadlines.

Each step is one transaction across the request and what it does in the rooms (the
processing state, notices and their outbox), recorded in the request's history with who
took it. Deadlines come from the catalog's table (``deadlines``).
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from consentgate.authz import Actor
from consentgate.catalog import Catalog
from consentgate.clock import rfc3339, to_micros, utc_now
from consentgate.deadlines import due_at, extended_due_at
from consentgate.errors import (
    FieldNotRectifiable,
    InvalidInput,
    InvalidTransition,
    NoticeNotFound,
    RequestNotFound,
    SourceReadOnly,
    SubjectNotFound,
)
from consentgate.notices import Notice, NoticeType
from consentgate.policy import AppStatus
from consentgate.rights.erasure import complete_if_acknowledged, resume_erasures, run_erasure
from consentgate.rights.models import (
    OPEN,
    AnyBody,
    ErasureBody,
    ObjectionBody,
    RectificationBody,
    RequestEvent,
    RequestStatus,
    RequestType,
    RestrictionBody,
    RightsRequest,
)
from consentgate.rights.notify import recipients_view, write_notices
from consentgate.rights.store import RequestStore
from consentgate.sources import Source, WritableSource, writes_of
from consentgate.stores import Stores

__all__ = ["Rights"]

ENFORCER = Actor.system("notice-enforcement")
_COUNTRY = 2


@dataclass
class Rights:
    """The rights service over the stores, the request store, the catalog and the source.
    ``scoped_id(app_id, subject_id)`` is the gateway's app-scoped id; ``wake`` tells the
    notice dispatcher that notices were written."""

    stores: Stores
    requests: RequestStore
    catalog: Catalog
    source: Source
    scoped_id: Callable[[str, str], str]
    ack_days: int = 7
    wake: Callable[[], None] = field(default=lambda: None)

    # --- submitting ------------------------------------------------------------------

    def submit(
        self,
        subject_id: str,
        body: AnyBody,
        *,
        actor: Actor,
        verified_by: str | None = None,
        now: datetime | None = None,
    ) -> RightsRequest:
        """A request of ``subject_id``, acted on at once where its type is automated."""
        moment = now or utc_now()
        kind = RequestType(body.type)
        subject = self.source.attributes([subject_id]).get(subject_id)
        if subject is None:
            raise SubjectNotFound(subject_id)
        details = self._details(subject_id, body)
        request = RightsRequest(
            id="dsr_" + secrets.token_urlsafe(12),
            subject_id=subject_id,
            type=kind,
            status=RequestStatus.RECEIVED,
            received_at=moment,
            due_at=due_at(moment, country=subject.country, catalog=self.catalog),
            details=details,
            created_by=actor.ref,
            country=subject.country,
            verified_by=verified_by,
            history=(
                RequestEvent(moment, RequestStatus.RECEIVED, _received(verified_by), actor.ref),
            ),
        )
        if kind in (RequestType.ACCESS, RequestType.PORTABILITY):
            return self._add(
                request, RequestStatus.COMPLETED, "the copy is available at GET /v1/me/export"
            )
        if kind is RequestType.RESTRICTION:
            assert isinstance(body, RestrictionBody)
            return self._restrict(request, body.ground, moment)
        if kind is RequestType.OBJECTION:
            return self._object(request, moment)
        if kind is RequestType.RECTIFICATION:
            assert isinstance(body, RectificationBody)
            return self._rectify(request, body.changes, moment)
        return self._erase(request, moment)

    def _details(self, subject_id: str, body: AnyBody) -> dict[str, Any]:
        if isinstance(body, RectificationBody):
            if not writes_of(self.source).rectify:
                raise SourceReadOnly("rectify")
            for name, value in body.changes.items():
                if name not in self.catalog.fields:
                    raise InvalidInput(f"unknown field {name!r}: use a field name from the catalog")
                if not self.catalog.rectifiable(name):
                    raise FieldNotRectifiable(name)
                _check_value(name, value)
            return {"fields": sorted(body.changes)}
        if isinstance(body, ObjectionBody):
            for purpose in body.purposes:
                self.catalog.require_purpose(purpose)
            return {"purposes": list(dict.fromkeys(body.purposes))}
        if isinstance(body, RestrictionBody):
            return {"ground": body.ground}
        if isinstance(body, ErasureBody):
            if not writes_of(self.source).erase:
                raise SourceReadOnly("erase")
            open_erasures = self.requests.page(
                subject_id=subject_id, status=RequestStatus.IN_PROGRESS, type=RequestType.ERASURE
            )
            if open_erasures:
                raise InvalidTransition(
                    f"an erasure of this person is already in progress ({open_erasures[0].id})"
                )
        return {}

    def _add(self, request: RightsRequest, status: RequestStatus, note: str) -> RightsRequest:
        """Store ``request`` moved on to ``status`` (one transaction)."""
        with self.stores.transaction() as tx:
            return self._store(tx, request, status, note)

    def _store(
        self, tx: Stores, request: RightsRequest, status: RequestStatus, note: str
    ) -> RightsRequest:
        moment = request.received_at
        event = RequestEvent(moment, status, note, request.history[0].actor)
        stored = dataclasses.replace(
            request,
            status=status,
            closed_at=moment if status is RequestStatus.COMPLETED else None,
            history=(*request.history, event),
        )
        tx.joined(self.requests).add(stored)
        return stored

    def _restrict(self, request: RightsRequest, ground: str, moment: datetime) -> RightsRequest:
        with self.stores.transaction() as tx:
            if not tx.subjects.restrict(
                request.subject_id, ground=ground, request_id=request.id, at_us=to_micros(moment)
            ):
                current = tx.subjects.get(request.subject_id).restriction_request
                raise InvalidTransition(
                    f"processing of this person is already restricted ({current}): "
                    "lift it before asking again"
                )
            stored = self._store(
                tx,
                request,
                RequestStatus.IN_PROGRESS,
                f"restricted ({ground}): every read of this person answers SUBJECT_RESTRICTED",
            )
            notices = write_notices(
                tx,
                stored,
                kind=NoticeType.RESTRICTION,
                scoped_id=self.scoped_id,
                ack_days=self.ack_days,
                now=moment,
            )
            stored = self._note(tx, stored, f"notices written to {len(notices)} recipients", moment)
        self.wake()
        return stored

    def _object(self, request: RightsRequest, moment: datetime) -> RightsRequest:
        purposes = list(request.details["purposes"])
        with self.stores.transaction() as tx:
            added = tx.subjects.object(
                request.subject_id, purposes, request_id=request.id, at_us=to_micros(moment)
            )
            if not added:
                raise InvalidTransition(
                    "this person already objects to every purpose named: nothing to do"
                )
            request = dataclasses.replace(request, details={"purposes": added})
            return self._store(
                tx,
                request,
                RequestStatus.IN_PROGRESS,
                f"objection to {', '.join(added)}: reads for them answer OBJECTION, "
                "new consents to them are refused",
            )

    def _rectify(
        self, request: RightsRequest, changes: Mapping[str, str], moment: datetime
    ) -> RightsRequest:
        source = self.source
        assert isinstance(source, WritableSource)  # _details checked it can
        source.rectify(request.subject_id, changes)
        with self.stores.transaction() as tx:
            stored = self._store(
                tx,
                request,
                RequestStatus.IN_PROGRESS,
                f"the source was corrected: {', '.join(sorted(changes))}",
            )
            notices = write_notices(
                tx,
                stored,
                kind=NoticeType.RECTIFICATION,
                scoped_id=self.scoped_id,
                ack_days=self.ack_days,
                now=moment,
                only_fields=set(changes),
            )
            stored = self._close(
                tx,
                stored,
                RequestStatus.COMPLETED,
                f"notices written to {len(notices)} recipients of a changed field",
                moment,
                Actor.system("rectification").ref,
            )
        self.wake()
        return stored

    def _erase(self, request: RightsRequest, moment: datetime) -> RightsRequest:
        stored = self._add(request, RequestStatus.IN_PROGRESS, "erasure started")
        try:
            return self.continue_erasure(stored, now=moment)
        finally:
            self.wake()

    def continue_erasure(
        self, request: RightsRequest, *, now: datetime | None = None
    ) -> RightsRequest:
        return run_erasure(
            self.stores,
            self.requests,
            request,
            source=self.source,
            scoped_id=self.scoped_id,
            ack_days=self.ack_days,
            now=now,
        )

    def resume(self, *, min_age_s: float = 0.0) -> int:
        """Finish erasures a crash interrupted (start-up, and every outbox round)."""
        return resume_erasures(
            self.stores,
            self.requests,
            source=self.source,
            scoped_id=self.scoped_id,
            ack_days=self.ack_days,
            min_age_s=min_age_s,
        )

    # --- reading ---------------------------------------------------------------------

    def get(self, request_id: str, *, subject_id: str | None = None) -> RightsRequest:
        """A request (only the person's own when ``subject_id`` is given: another's is
        not found)."""
        found = self.requests.get(request_id)
        if found is None or (subject_id is not None and found.subject_id != subject_id):
            raise RequestNotFound(request_id)
        return found

    def page(
        self,
        *,
        subject_id: str | None = None,
        status: RequestStatus | None = None,
        type: RequestType | None = None,
        overdue: bool = False,
        after: str | None = None,
        limit: int = 100,
        now: datetime | None = None,
    ) -> list[RightsRequest]:
        return self.requests.page(
            subject_id=subject_id,
            status=status,
            type=type,
            overdue_at_us=to_micros(now or utc_now()) if overdue else None,
            after=after,
            limit=limit,
        )

    def as_dict(self, request: RightsRequest, *, operator: bool = False) -> dict[str, Any]:
        return request.as_dict(recipients=recipients_view(self.stores, request), operator=operator)

    def capabilities(self) -> dict[str, Any]:
        """What this deployment can do for a request (``GET /v1/rights/capabilities``)."""
        writes = writes_of(self.source)
        return {
            "source": writes.as_dict(),
            "types": [t.value for t in RequestType if _supported(t, writes.rectify, writes.erase)],
            "rectifiable_fields": [n for n in self.catalog.fields if self.catalog.rectifiable(n)],
            "notice_ack_days": self.ack_days,
        }

    # --- operator steps --------------------------------------------------------------

    def extend(
        self,
        request_id: str,
        *,
        by: int,
        reason: str,
        actor: Actor,
        now: datetime | None = None,
    ) -> RightsRequest:
        """Extend once, before ``due_at``, by ``by`` of the country row's unit (Art. 12(3))."""
        moment = now or utc_now()
        request = self.get(request_id)
        if request.status not in OPEN:
            raise InvalidTransition(f"request {request_id!r} is {request.status.value}")
        if request.extended_due_at is not None:
            raise InvalidTransition(f"request {request_id!r} was extended already (once only)")
        if moment >= request.due_at:
            raise InvalidTransition(
                f"request {request_id!r} is past its due_at: an extension must be given before"
            )
        new_due = extended_due_at(
            request.received_at, country=request.country, catalog=self.catalog, by=by
        )
        unit = self.catalog.deadline(request.country).unit
        return self._step(
            request,
            status=request.status,
            note=f"extended by {by} {unit} to {rfc3339(new_due)}: {reason}",
            actor=actor,
            now=moment,
            changes={"extended_due_at": new_due, "extension_reason": reason},
        )

    def reject(
        self, request_id: str, *, reason: str, actor: Actor, now: datetime | None = None
    ) -> RightsRequest:
        """Refuse an open request (Art. 12(5)); a restriction or objection it put in place
        ends with it. An erasure already under way cannot be rejected."""
        moment = now or utc_now()
        request = self.get(request_id)
        if request.status not in OPEN:
            raise InvalidTransition(f"request {request_id!r} is {request.status.value}")
        if request.type is RequestType.ERASURE and request.step is not None:
            raise InvalidTransition(
                f"erasure {request_id!r} is under way ({request.step}): it cannot be rejected"
            )
        with self.stores.transaction() as tx:
            self._undo_state(tx, request, moment)
            return self._close(
                tx,
                request,
                RequestStatus.REJECTED,
                f"rejected: {reason}",
                moment,
                actor.ref,
                changes={"rejection_reason": reason},
            )

    def lift(self, request_id: str, *, actor: Actor, now: datetime | None = None) -> RightsRequest:
        """Lift the restriction ``request_id`` put in place: it is ``completed``."""
        moment = now or utc_now()
        request = self.get(request_id)
        if request.type is not RequestType.RESTRICTION:
            raise InvalidTransition(f"request {request_id!r} is not a restriction")
        if request.status is not RequestStatus.IN_PROGRESS:
            raise InvalidTransition(f"restriction {request_id!r} is {request.status.value}")
        with self.stores.transaction() as tx:
            if tx.subjects.get(request.subject_id).restriction_request == request.id:
                tx.subjects.lift(request.subject_id, at_us=to_micros(moment))
            return self._close(
                tx, request, RequestStatus.COMPLETED, "restriction lifted", moment, actor.ref
            )

    # --- the person's own steps ------------------------------------------------------

    def lift_own_restriction(self, subject_id: str, *, now: datetime | None = None) -> None:
        """``DELETE /v1/me/restriction``."""
        request_id = self.stores.subjects.get(subject_id).restriction_request
        if request_id is None:
            raise InvalidTransition("processing of this person is not restricted")
        self.lift(request_id, actor=Actor.subject(subject_id), now=now)

    def withdraw_objection(
        self, subject_id: str, purpose: str, *, now: datetime | None = None
    ) -> None:
        """``DELETE /v1/me/objections/{purpose}``; the objection's request is completed once
        none of its purposes is objected to any more."""
        moment = now or utc_now()
        actor = Actor.subject(subject_id)
        with self.stores.transaction() as tx:
            request_id = tx.subjects.withdraw_objection(
                subject_id, purpose, at_us=to_micros(moment)
            )
            if request_id is None:
                raise InvalidTransition(f"this person does not object to {purpose!r}")
            request = tx.joined(self.requests).get(request_id)
            if request is None or request.status not in OPEN:
                return
            remaining = set(tx.subjects.get(subject_id).objections)
            note = f"objection to {purpose} withdrawn"
            if remaining & set(request.details.get("purposes", [])):
                self._note(tx, request, note, moment, actor.ref)
            else:
                self._close(tx, request, RequestStatus.COMPLETED, note, moment, actor.ref)

    # --- notices ---------------------------------------------------------------------

    def acknowledge(self, app_id: str, notice_id: str, *, now: datetime | None = None) -> Notice:
        """``POST /v1/app/notices/{id}/ack``: the app's own notice (another's is not
        found); an erasure whose last notice this was is completed."""
        moment = now or utc_now()
        with self.stores.transaction() as tx:
            notice = tx.notices.acknowledge(app_id, notice_id, at_us=to_micros(moment))
            if notice is None:
                raise NoticeNotFound(notice_id)
            complete_if_acknowledged(tx, self.requests, notice.request_id, now=moment)
        return notice

    def enforce(self, notice: Notice, now: datetime) -> None:
        """Suspend the app of a notice left unacknowledged past ``ack_due_at`` (once)."""
        with self.stores.transaction() as tx:
            if not tx.notices.mark_enforced(notice.id, at_us=to_micros(now)):
                return
            tx.apps.transition(
                notice.app_id,
                from_status={AppStatus.APPROVED},
                to_status=AppStatus.SUSPENDED,
                reason=(
                    f"notice {notice.id} (request {notice.request_id}) was not acknowledged "
                    f"by its ack_due_at {rfc3339(notice.ack_due_at)}"
                ),
                event="suspended",
                detail={"notice_id": notice.id},
                actor=ENFORCER,
                at_us=to_micros(now),
            )

    # --- helpers ---------------------------------------------------------------------

    def _undo_state(self, tx: Stores, request: RightsRequest, moment: datetime) -> None:
        state = tx.subjects.get(request.subject_id)
        if request.type is RequestType.RESTRICTION and state.restriction_request == request.id:
            tx.subjects.lift(request.subject_id, at_us=to_micros(moment))
        if request.type is RequestType.OBJECTION:
            for purpose, owner in state.objections.items():
                if owner == request.id:
                    tx.subjects.withdraw_objection(
                        request.subject_id, purpose, at_us=to_micros(moment)
                    )

    def _step(
        self,
        request: RightsRequest,
        *,
        status: RequestStatus,
        note: str,
        actor: Actor,
        now: datetime,
        changes: dict[str, Any] | None = None,
    ) -> RightsRequest:
        updated = self.requests.update(
            request.id,
            from_status={request.status},
            event=RequestEvent(now, status, note, actor.ref),
            changes=changes,
        )
        if updated is None:
            raise InvalidTransition(f"request {request.id!r} changed meanwhile: try again")
        return updated

    def _note(
        self,
        tx: Stores,
        request: RightsRequest,
        note: str,
        moment: datetime,
        actor: str | None = None,
    ) -> RightsRequest:
        updated = tx.joined(self.requests).update(
            request.id,
            from_status={request.status},
            event=RequestEvent(moment, request.status, note, actor or request.created_by),
        )
        if updated is None:
            raise InvalidTransition(f"request {request.id!r} changed meanwhile: try again")
        return updated

    def _close(
        self,
        tx: Stores,
        request: RightsRequest,
        status: RequestStatus,
        note: str,
        moment: datetime,
        actor: str,
        changes: dict[str, Any] | None = None,
    ) -> RightsRequest:
        updated = tx.joined(self.requests).update(
            request.id,
            from_status=OPEN,
            event=RequestEvent(moment, status, note, actor),
            changes={"closed_at": moment, **(changes or {})},
        )
        if updated is None:
            raise InvalidTransition(f"request {request.id!r} changed meanwhile: try again")
        return updated


def _received(verified_by: str | None) -> str:
    if verified_by is None:
        return "received from the person (platform sign-in)"
    return f"received on the person's behalf; identity verified by: {verified_by}"


def _supported(kind: RequestType, rectify: bool, erase: bool) -> bool:
    if kind is RequestType.RECTIFICATION:
        return rectify
    if kind is RequestType.ERASURE:
        return erase
    return True


_EMAIL_AT = "@"


def _check_value(name: str, value: str) -> None:
    """A corrected value that the field can hold (the message names the field only)."""
    if any(ord(c) < 32 for c in value) or value != value.strip():
        raise InvalidInput(f"the new value of {name!r} has control characters or padding")
    if name == "birthday":
        try:
            if date.fromisoformat(value) > utc_now().date():
                raise ValueError
        except ValueError:
            raise InvalidInput("birthday must be a past date as YYYY-MM-DD") from None
    elif name == "country":
        if len(value) != _COUNTRY or not value.isascii() or not value.isupper():
            raise InvalidInput("country must be an ISO 3166-1 alpha-2 code (e.g. DE)")
    elif name == "email":
        local, _, domain = value.partition(_EMAIL_AT)
        if not local or "." not in domain or " " in value:
            raise InvalidInput("email must be an address like name@example.org")
