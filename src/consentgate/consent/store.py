"""Where consents are kept (tables ``consents`` and their append-only history
``consent_events``): the ``ConsentStore`` protocol and its SQL implementation (the
in-memory twin is ``consent.memory``). Every change writes its event in the same
transaction, and only when the row really changed (two withdrawals of one consent, however
concurrent, write one event)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Connection

from consentgate.catalog import Catalog
from consentgate.clock import from_micros, to_micros
from consentgate.consent.live import live, not_withdrawn
from consentgate.consent.records import Consent, ConsentEvent, LiveSubject, fields_mask
from consentgate.policy import ConsentView
from consentgate.storage.database import SqlStore
from consentgate.storage.tables import consent_events, consents

__all__ = ["ConsentStore", "SqlConsentStore"]


class ConsentStore(Protocol):
    def add(self, consent: Consent) -> None:
        """Store a new consent and its ``granted`` event."""
        ...

    def get(self, *, subject_id: str, consent_id: str) -> Consent | None:
        """The consent if it is this subject's (anyone else's is None, like a missing one)."""
        ...

    def page(
        self,
        *,
        subject_id: str | None = None,
        app_id: str | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> list[Consent]: ...

    def withdraw(self, *, subject_id: str, consent_id: str, at_us: int) -> bool:
        """Withdraw a not-yet-withdrawn consent of the subject; False if nothing changed."""
        ...

    def renew(self, *, consent_id: str, at_us: int, expires_us: int) -> bool:
        """Move a not-withdrawn consent's expiry; False if it was withdrawn meanwhile."""
        ...

    def history(self, consent_id: str) -> list[ConsentEvent]: ...

    def decision_views(
        self, *, subject_id: str, app_id: str, catalog: Catalog, now_us: int
    ) -> list[ConsentView]:
        """The subject's consents to the app not withdrawn at ``now_us`` (the read path)."""
        ...

    def decision_views_of(
        self,
        *,
        subject_ids: Sequence[str],
        app_id: str,
        purpose: str,
        catalog: Catalog,
        now_us: int,
    ) -> dict[str, list[ConsentView]]:
        """The same for several subjects and one purpose (a friends list)."""
        ...

    def live_subjects(
        self, *, app_id: str, purpose: str | None, after: str | None, limit: int, now_us: int
    ) -> list[LiveSubject]:
        """Subjects (ordered by id, after ``after``) with a live consent to the app."""
        ...

    def count_live_subjects(self, app_id: str, *, now_us: int) -> int: ...

    def erase_subject(self, subject_id: str) -> int:
        """Delete the subject's consents and their history (erasure); how many consents."""
        ...


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
_VIEWS_FOR = select(*_VIEW_COLUMNS).where(
    consents.c.subject_id == bindparam("subject_id"),
    consents.c.app_id == bindparam("app_id"),
    not_withdrawn(bindparam("now_us")),
)


class SqlConsentStore(SqlStore):
    def add(self, consent: Consent) -> None:
        with self._writing() as connection:
            connection.execute(insert(consents), [_row(consent)])
            _event(
                connection,
                consent.id,
                "granted",
                to_micros(consent.granted_at),
                to_micros(consent.expires_at),
            )

    def get(self, *, subject_id: str, consent_id: str) -> Consent | None:
        statement = select(consents).where(
            consents.c.id == consent_id, consents.c.subject_id == subject_id
        )
        with self._reading() as connection:
            row = connection.execute(statement).mappings().first()
        return None if row is None else _from_row(row)

    def page(
        self,
        *,
        subject_id: str | None = None,
        app_id: str | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> list[Consent]:
        statement = select(consents).order_by(consents.c.id).limit(max(1, min(limit, 1000)))
        if subject_id is not None:
            statement = statement.where(consents.c.subject_id == subject_id)
        if app_id is not None:
            statement = statement.where(consents.c.app_id == app_id)
        if after is not None:
            statement = statement.where(consents.c.id > after)
        with self._reading() as connection:
            return [_from_row(row) for row in connection.execute(statement).mappings()]

    def withdraw(self, *, subject_id: str, consent_id: str, at_us: int) -> bool:
        statement = (
            update(consents)
            .where(
                consents.c.id == consent_id,
                consents.c.subject_id == subject_id,
                consents.c.withdrawn_us.is_(None),
            )
            .values(withdrawn_us=at_us)
        )
        with self._writing() as connection:
            if connection.execute(statement).rowcount != 1:
                return False  # not theirs, or withdrawn already (perhaps just now, elsewhere)
            _event(connection, consent_id, "withdrawn", at_us, None)
        return True

    def renew(self, *, consent_id: str, at_us: int, expires_us: int) -> bool:
        statement = (
            update(consents)
            .where(consents.c.id == consent_id, consents.c.withdrawn_us.is_(None))
            .values(renewed_us=at_us, expires_us=expires_us)
        )
        with self._writing() as connection:
            if connection.execute(statement).rowcount != 1:
                return False
            _event(connection, consent_id, "renewed", at_us, expires_us)
        return True

    def history(self, consent_id: str) -> list[ConsentEvent]:
        statement = (
            select(consent_events)
            .where(consent_events.c.consent_id == consent_id)
            .order_by(consent_events.c.seq)
        )
        with self._reading() as connection:
            return [
                ConsentEvent(
                    consent_id=row.consent_id,
                    event=row.event,
                    at=from_micros(row.at_us),
                    expires_at=None if row.expires_us is None else from_micros(row.expires_us),
                )
                for row in connection.execute(statement)
            ]

    def decision_views(
        self, *, subject_id: str, app_id: str, catalog: Catalog, now_us: int
    ) -> list[ConsentView]:
        parameters = {"subject_id": subject_id, "app_id": app_id, "now_us": now_us}
        with self._reading() as connection:
            return [_view_of(row, catalog) for row in connection.execute(_VIEWS_FOR, parameters)]

    def decision_views_of(
        self,
        *,
        subject_ids: Sequence[str],
        app_id: str,
        purpose: str,
        catalog: Catalog,
        now_us: int,
    ) -> dict[str, list[ConsentView]]:
        found: dict[str, list[ConsentView]] = {}
        unique = list(dict.fromkeys(subject_ids))
        with self._reading() as connection:
            for start in range(0, len(unique), 500):
                statement = select(*_VIEW_COLUMNS).where(
                    consents.c.subject_id.in_(unique[start : start + 500]),
                    consents.c.app_id == app_id,
                    consents.c.purpose == purpose,
                    not_withdrawn(now_us),
                )
                for row in connection.execute(statement):
                    found.setdefault(row.subject_id, []).append(_view_of(row, catalog))
        return found

    def live_subjects(
        self, *, app_id: str, purpose: str | None, after: str | None, limit: int, now_us: int
    ) -> list[LiveSubject]:
        conditions = [consents.c.app_id == app_id, live(now_us)]
        if purpose is not None:
            conditions.append(consents.c.purpose == purpose)
        ids = (
            select(consents.c.subject_id)
            .where(*conditions)
            .group_by(consents.c.subject_id)
            .order_by(consents.c.subject_id)
            .limit(limit)
        )
        if after is not None:
            ids = ids.where(consents.c.subject_id > after)
        with self._reading() as connection:
            subject_ids = [str(row[0]) for row in connection.execute(ids)]
            purposes: dict[str, set[str]] = {s: set() for s in subject_ids}
            if subject_ids:
                rows = connection.execute(
                    select(consents.c.subject_id, consents.c.purpose).where(
                        *conditions, consents.c.subject_id.in_(subject_ids)
                    )
                )
                for subject, consent_purpose in rows:
                    purposes[subject].add(consent_purpose)
        return [LiveSubject(s, tuple(sorted(purposes[s]))) for s in subject_ids]

    def count_live_subjects(self, app_id: str, *, now_us: int) -> int:
        query = select(func.count(func.distinct(consents.c.subject_id))).where(
            consents.c.app_id == app_id, live(now_us)
        )
        with self._reading() as connection:
            return int(connection.execute(query).scalar_one())

    def erase_subject(self, subject_id: str) -> int:
        ids = select(consents.c.id).where(consents.c.subject_id == subject_id)
        with self._writing() as connection:
            connection.execute(delete(consent_events).where(consent_events.c.consent_id.in_(ids)))
            erased = connection.execute(delete(consents).where(consents.c.subject_id == subject_id))
        return int(erased.rowcount)


def _view_of(row: Any, catalog: Catalog) -> ConsentView:
    return ConsentView(
        id=row.id,
        subject_id=row.subject_id,
        app_id=row.app_id,
        purpose=row.purpose,
        fields_mask=fields_mask(catalog, row.fields),
        explicit=bool(row.explicit),
        parental=bool(row.parental),
        granted_us=row.granted_us,
        expires_us=row.expires_us,
        withdrawn_us=row.withdrawn_us,
    )


def _event(
    connection: Connection, consent_id: str, event: str, at_us: int, expires_us: int | None
) -> None:
    connection.execute(
        insert(consent_events),
        [{"consent_id": consent_id, "event": event, "at_us": at_us, "expires_us": expires_us}],
    )


def _row(consent: Consent) -> dict[str, Any]:
    return {
        "id": consent.id,
        "subject_id": consent.subject_id,
        "app_id": consent.app_id,
        "purpose": consent.purpose,
        "fields": list(consent.fields),
        "explicit": consent.explicit,
        "parental_consent": consent.parental_consent,
        "notice_version": consent.notice_version,
        "granted_us": to_micros(consent.granted_at),
        "renewed_us": None if consent.renewed_at is None else to_micros(consent.renewed_at),
        "expires_us": to_micros(consent.expires_at),
        "withdrawn_us": None if consent.withdrawn_at is None else to_micros(consent.withdrawn_at),
        "receipt": consent.receipt,
    }


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
