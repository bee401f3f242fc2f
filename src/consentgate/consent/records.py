"""A consent as stored (``Consent``, with its public object ``as_dict``) and its history
(``ConsentEvent``), and the consent as the decision sees it (``Consent.view``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from consentgate.catalog import Catalog
from consentgate.clock import to_micros
from consentgate.policy import ConsentView

__all__ = ["Consent", "ConsentEvent", "LiveSubject", "fields_mask"]


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
            fields_mask=fields_mask(catalog, self.fields),
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


@dataclass(frozen=True, slots=True)
class LiveSubject:
    """A subject with a live consent to an app, and the purposes they consented to."""

    subject_id: str
    purposes: tuple[str, ...]


def fields_mask(catalog: Catalog, fields: Iterable[str]) -> int:
    """The catalog bitmask of ``fields`` (names the catalog no longer has count for none)."""
    return catalog.mask(f for f in fields if f in catalog.field_bits)
