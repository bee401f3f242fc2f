"""The synchronous half of the protected read, private to the gateway: resolve the
app-scoped id, decide, fetch only what is allowed, and put the would-be response together
with the disclosure rows that must be committed before it may leave.

What it builds is a *releasable* body (``_ReleasableSubject``, ``_ReleasableFriends``): the
types are private, and only ``gateway.read.Gateway`` holds a planner — it records the rows
and hands out a committed result (I2). Nothing public here returns one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from consentgate.catalog import Catalog
from consentgate.clock import to_micros
from consentgate.detect import ReadEvent
from consentgate.errors import AccessDenied, InvalidInput, StorageUnavailable
from consentgate.gateway.access import evaluate_subject_access
from consentgate.gateway.hot import DecisionCache
from consentgate.gateway.recorder import DisclosureRow
from consentgate.gateway.results import FriendRead
from consentgate.gateway.scoped_ids import IdSealer
from consentgate.gateway.watch import Watch
from consentgate.ledger import country_code
from consentgate.policy import Decision, Reason, SubjectState, SubjectView, decide
from consentgate.sources import Source
from consentgate.stores import Stores

__all__: list[str] = []  # everything here is the gateway's own

FRIENDS = "friends"


@dataclass(frozen=True)
class _ReleasableSubject:
    """One subject's released fields and the disclosure that must be committed first."""

    id: str
    data: dict[str, Any]
    withheld: dict[str, str]
    disclosures: list[DisclosureRow]


@dataclass(frozen=True)
class _ReleasableFriends:
    """A page of friends and the disclosures (the ``friends`` field, one per friend) that
    must be committed first."""

    id: str
    friends: list[FriendRead]  # held in here until the commit
    next_cursor: str | None
    disclosures: list[DisclosureRow]


@dataclass(frozen=True)
class _Read:
    """What the detector is told about one request, filled in as the request goes."""

    app_id: str
    at: datetime
    source: str
    purpose: str
    subject_id: str | None
    scoped_id: str


class _Planner:
    """``watch`` (harvest detection) sees every decision, allowed and refused; when it
    contains the app, the request that tipped it releases nothing either."""

    def __init__(
        self,
        *,
        stores: Stores,
        catalog: Catalog,
        source: Source,
        sealer: IdSealer,
        watch: Watch | None = None,
        cache: DecisionCache | None = None,
    ) -> None:
        self.stores = stores
        self.cache = cache
        self.catalog = catalog
        self.source = source
        self.sealer = sealer
        self.watch = watch

    def subject(
        self,
        *,
        app_id: str,
        scoped_id: str,
        purpose: str,
        fields: Sequence[str],
        request_id: str,
        now: datetime,
        client: str = "",
    ) -> _ReleasableSubject:
        """``GET /v1/subjects/{id}`` (``fields`` already checked against the catalog)."""
        subject_id = self.sealer.subject_for(app_id, scoped_id)
        read = _Read(app_id, now, client, purpose, subject_id, scoped_id)
        decision, subject = self._decide(read, fields)
        assert subject_id is not None  # a decision that allows something had a subject
        self._observe(read, withheld=_reasons(decision), disclosed=(subject_id,))
        record = self.source.fetch([subject_id], decision.allowed).get(subject_id)
        if record is None:  # gone from the platform since the decision: nothing leaves
            raise _denied(Reason.NO_CONSENT, dict.fromkeys(decision.withheld, Reason.NO_CONSENT))
        data = self._release(app_id, purpose, subject_id, record, decision.allowed, now)
        row = self._row(app_id, subject_id, purpose, decision, request_id, now, subject)
        return _ReleasableSubject(scoped_id, data, _reasons(decision), [row])

    def friends(
        self,
        *,
        app_id: str,
        scoped_id: str,
        purpose: str,
        fields: Sequence[str],
        cursor: str | None,
        limit: int,
        request_id: str,
        now: datetime,
        client: str = "",
    ) -> _ReleasableFriends:
        """``GET /v1/subjects/{id}/friends``: the subject's own consent to ``friends`` opens
        the list; each friend appears only under their own live consent to this app for this
        purpose, filtered by it. Friends with nothing releasable leave no trace."""
        requested = list(fields)
        subject_id = self.sealer.subject_for(app_id, scoped_id)
        read = _Read(app_id, now, client, purpose, subject_id, scoped_id)
        gate, subject = self._decide(read, [FRIENDS])
        assert subject_id is not None
        friend_ids = self.source.friends(subject_id)
        scope = f"friends:{app_id}:{subject_id}:{purpose}"
        start = 0
        if cursor is not None:
            after = self.sealer.position(scope, cursor)
            if after is None or after not in friend_ids:
                raise InvalidInput("the paging cursor is not valid for this list")
            start = friend_ids.index(after) + 1
        chosen, more = self._consenting_friends(
            app_id, purpose, requested, friend_ids[start:], limit, now
        )
        refused: dict[str, str] = {}
        for _, decision, _ in chosen:
            refused.update(_reasons(decision))
        self._observe(read, withheld=refused, disclosed=(subject_id, *(f for f, _, _ in chosen)))
        rows = [self._row(app_id, subject_id, purpose, gate, request_id, now, subject)]
        data: list[FriendRead] = []
        by_fields: dict[tuple[str, ...], list[str]] = {}
        for friend_id, decision, _ in chosen:
            by_fields.setdefault(decision.allowed, []).append(friend_id)
        records: dict[str, dict[str, Any]] = {}
        for allowed, ids in by_fields.items():
            records.update(self.source.fetch(ids, allowed))
        for friend_id, decision, friend in chosen:
            record = records.get(friend_id)
            if record is None:
                continue
            released = self._release(app_id, purpose, friend_id, record, decision.allowed, now)
            data.append(
                FriendRead(self.sealer.scoped_id(app_id, friend_id), released, _reasons(decision))
            )
            rows.append(self._row(app_id, friend_id, purpose, decision, request_id, now, friend))
        next_cursor = self.sealer.cursor(scope, chosen[-1][0]) if more and chosen else None
        return _ReleasableFriends(scoped_id, data, next_cursor, rows)

    def _decide(self, read: _Read, fields: Sequence[str]) -> tuple[Decision, SubjectView | None]:
        """The decision and the subject it was made on; raises when nothing may go."""
        decision, subject = evaluate_subject_access(
            self.stores,
            catalog=self.catalog,
            source=self.source,
            app_id=read.app_id,
            subject_id=read.subject_id,
            purpose=read.purpose,
            fields=fields,
            now=read.at,
            cache=self.cache,
        )
        if decision.reason is Reason.DECISION_ERROR:
            raise StorageUnavailable("the decision could not be made, so nothing was released")
        if not decision.allowed:
            reason = decision.reason or Reason.NO_CONSENT
            self._observe(read, reason=reason.value, withheld=_reasons(decision))
            raise _denied(reason, decision.withheld)
        return decision, subject

    def _observe(
        self,
        read: _Read,
        *,
        reason: str | None = None,
        withheld: dict[str, str],
        disclosed: tuple[str, ...] = (),
    ) -> None:
        """Tell the detector; if it contains the app, refuse this request too."""
        if self.watch is None:
            return
        event = ReadEvent(
            app_id=read.app_id,
            at=read.at.timestamp(),
            source=read.source,
            purpose=read.purpose,
            target=read.subject_id,
            scoped_id=None if read.subject_id is not None else read.scoped_id,
            reason=reason,
            withheld=withheld,
            disclosed=disclosed,
        )
        if self.watch.observe(event):
            raise _denied(Reason.APP_SUSPENDED, {})

    def _consenting_friends(
        self,
        app_id: str,
        purpose: str,
        fields: Sequence[str] | None,
        candidates: Sequence[str],
        limit: int,
        now: datetime,
    ) -> tuple[list[tuple[str, Decision, SubjectView | None]], bool]:
        """Up to ``limit`` friends (in list order) with something of ``fields`` releasable
        (None: any field approved for the app), each with the decision and the attributes it
        was made on, and whether another such friend follows — so a page never hints at
        friends who did not consent."""
        chosen: list[tuple[str, Decision, SubjectView | None]] = []
        app = self.stores.apps.view(app_id, self.catalog)
        if app is None:
            return chosen, False
        wanted = list(fields) if fields is not None else self.catalog.names(app.approved_mask)
        for start in range(0, len(candidates), 500):
            chunk = candidates[start : start + 500]
            consents = self.stores.consents.decision_views_of(
                subject_ids=chunk,
                app_id=app_id,
                purpose=purpose,
                catalog=self.catalog,
                now_us=to_micros(now),
            )
            if not consents:
                continue
            consenting = [f for f in chunk if f in consents]
            attributes = self.source.attributes(consenting)
            states = self.stores.subjects.decision_states(consenting)
            for friend_id in chunk:
                if friend_id not in consents:
                    continue
                friend = attributes.get(friend_id)
                decision = decide(
                    app=app,
                    subject=friend,
                    consents=consents[friend_id],
                    purpose=purpose,
                    fields=wanted,
                    catalog=self.catalog,
                    now=now,
                    state=states.get(friend_id, SubjectState.NONE),
                )
                if decision.allowed:
                    if len(chosen) == limit:
                        return chosen, True
                    chosen.append((friend_id, decision, friend))
        return chosen, False

    def _release(
        self,
        app_id: str,
        purpose: str,
        subject_id: str,
        record: dict[str, Any],
        allowed: Sequence[str],
        now: datetime,
    ) -> dict[str, Any]:
        """The released values; a ``friends`` value is the app-scoped ids of the friends who
        themselves release something to this app for this purpose (never platform ids)."""
        data = {name: record.get(name) for name in allowed if name != FRIENDS}
        if FRIENDS in allowed:
            friends = self.source.friends(subject_id)
            chosen, _ = self._consenting_friends(app_id, purpose, None, friends, len(friends), now)
            data[FRIENDS] = [self.sealer.scoped_id(app_id, f) for f, _, _ in chosen]
        return {name: data[name] for name in allowed}

    def _row(
        self,
        app_id: str,
        subject_id: str,
        purpose: str,
        decision: Decision,
        request_id: str,
        now: datetime,
        subject: SubjectView | None,
    ) -> DisclosureRow:
        """The disclosure to record, with the subject's country the decision saw (``cc``)."""
        return DisclosureRow(
            at_us=to_micros(now),
            app_id=app_id,
            subject_id=subject_id,
            fields=decision.allowed,
            purpose=purpose,
            consent_ids=tuple(dict.fromkeys(decision.consent_for[f] for f in decision.allowed)),
            request_id=request_id,
            basis=self.catalog.purposes[purpose].legal_basis,
            country=country_code(None if subject is None else subject.country),
        )


def _reasons(decision: Decision) -> dict[str, str]:
    return {name: reason.value for name, reason in decision.withheld.items()}


def _denied(reason: Reason, withheld: dict[str, Reason]) -> AccessDenied:
    return AccessDenied(
        reason.value,
        {name: r.value for name, r in withheld.items()},
        f"nothing may be released: {reason.value}",
    )
