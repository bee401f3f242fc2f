"""``MemoryConsentStore``: the consent store's in-memory twin, for fast tests (the same
protocol, the same live-consent rule from ``consent.live``)."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence

from consentgate.catalog import Catalog
from consentgate.clock import from_micros, to_micros
from consentgate.consent.live import is_live, is_not_withdrawn
from consentgate.consent.records import Consent, ConsentEvent, LiveSubject
from consentgate.policy import ConsentView

__all__ = ["MemoryConsentStore"]

_State = tuple[dict[str, Consent], list[ConsentEvent]]


class MemoryConsentStore:
    def __init__(self, *, lock: threading.RLock | None = None) -> None:
        self._lock = lock or threading.RLock()
        self._consents: dict[str, Consent] = {}
        self._events: list[ConsentEvent] = []

    def snapshot(self) -> _State:
        with self._lock:
            return dict(self._consents), list(self._events)

    def restore(self, state: _State) -> None:
        with self._lock:
            self._consents, self._events = state

    def add(self, consent: Consent) -> None:
        with self._lock:
            if consent.id in self._consents:
                raise ValueError(f"consent {consent.id!r} is already stored")
            self._consents[consent.id] = consent
            self._events.append(
                ConsentEvent(consent.id, "granted", consent.granted_at, consent.expires_at)
            )

    def get(self, *, subject_id: str, consent_id: str) -> Consent | None:
        with self._lock:
            found = self._consents.get(consent_id)
        return found if found is not None and found.subject_id == subject_id else None

    def page(
        self,
        *,
        subject_id: str | None = None,
        app_id: str | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> list[Consent]:
        with self._lock:
            found = sorted(self._consents.values(), key=lambda c: c.id)
        found = [
            c
            for c in found
            if (subject_id is None or c.subject_id == subject_id)
            and (app_id is None or c.app_id == app_id)
            and (after is None or c.id > after)
        ]
        return found[: max(1, min(limit, 1000))]

    def withdraw(self, *, subject_id: str, consent_id: str, at_us: int) -> bool:
        with self._lock:
            found = self.get(subject_id=subject_id, consent_id=consent_id)
            if found is None or found.withdrawn_at is not None:
                return False
            at = from_micros(at_us)
            self._consents[consent_id] = dataclasses.replace(found, withdrawn_at=at)
            self._events.append(ConsentEvent(consent_id, "withdrawn", at, None))
            return True

    def renew(self, *, consent_id: str, at_us: int, expires_us: int) -> bool:
        with self._lock:
            found = self._consents.get(consent_id)
            if found is None or found.withdrawn_at is not None:
                return False
            at, expires = from_micros(at_us), from_micros(expires_us)
            self._consents[consent_id] = dataclasses.replace(
                found, renewed_at=at, expires_at=expires
            )
            self._events.append(ConsentEvent(consent_id, "renewed", at, expires))
            return True

    def history(self, consent_id: str) -> list[ConsentEvent]:
        with self._lock:
            return [e for e in self._events if e.consent_id == consent_id]

    def decision_views(
        self, *, subject_id: str, app_id: str, catalog: Catalog, now_us: int
    ) -> list[ConsentView]:
        with self._lock:
            return [
                c.view(catalog)
                for c in self._consents.values()
                if c.subject_id == subject_id and c.app_id == app_id and _not_withdrawn(c, now_us)
            ]

    def decision_views_of(
        self,
        *,
        subject_ids: Sequence[str],
        app_id: str,
        purpose: str,
        catalog: Catalog,
        now_us: int,
    ) -> dict[str, list[ConsentView]]:
        wanted = set(subject_ids)
        found: dict[str, list[ConsentView]] = {}
        with self._lock:
            for c in self._consents.values():
                if (
                    c.subject_id in wanted
                    and c.app_id == app_id
                    and c.purpose == purpose
                    and _not_withdrawn(c, now_us)
                ):
                    found.setdefault(c.subject_id, []).append(c.view(catalog))
        return found

    def live_subjects(
        self, *, app_id: str, purpose: str | None, after: str | None, limit: int, now_us: int
    ) -> list[LiveSubject]:
        purposes: dict[str, set[str]] = {}
        with self._lock:
            for c in self._consents.values():
                wanted = c.app_id == app_id and (purpose is None or c.purpose == purpose)
                if wanted and _live(c, now_us) and (after is None or c.subject_id > after):
                    purposes.setdefault(c.subject_id, set()).add(c.purpose)
        chosen = sorted(purposes)[:limit]
        return [LiveSubject(s, tuple(sorted(purposes[s]))) for s in chosen]

    def count_live_subjects(self, app_id: str, *, now_us: int) -> int:
        with self._lock:
            return len(
                {
                    c.subject_id
                    for c in self._consents.values()
                    if c.app_id == app_id and _live(c, now_us)
                }
            )

    def erase_subject(self, subject_id: str) -> int:
        with self._lock:
            ids = {i for i, c in self._consents.items() if c.subject_id == subject_id}
            for consent_id in ids:
                del self._consents[consent_id]
            self._events = [e for e in self._events if e.consent_id not in ids]
            return len(ids)


def _withdrawn_us(consent: Consent) -> int | None:
    return None if consent.withdrawn_at is None else to_micros(consent.withdrawn_at)


def _not_withdrawn(consent: Consent, now_us: int) -> bool:
    return is_not_withdrawn(_withdrawn_us(consent), now_us)


def _live(consent: Consent, now_us: int) -> bool:
    return is_live(
        granted_us=to_micros(consent.granted_at),
        expires_us=to_micros(consent.expires_at),
        withdrawn_us=_withdrawn_us(consent),
        now_us=now_us,
    )
