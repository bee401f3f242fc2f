"""Evaluate the Cedar specification of the release rule (``policies/consent.cedar``).

The same inputs ``policy.decide`` takes are turned into Cedar entities; a field is allowed
when any candidate consent makes Cedar answer Allow (one request per field and consent).
Needs the ``cedarpy`` package (a test extra).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import cedarpy

from consentgate.catalog import Catalog
from consentgate.clock import to_micros, ymd
from consentgate.policy import AppView, ConsentView, SubjectView

__all__ = ["POLICY_DIR", "CedarOracle", "CedarRead", "Population"]

POLICY_DIR = Path(__file__).resolve().parents[3] / "policies"


def _ref(kind: str, ident: str) -> dict[str, Any]:
    return {"__entity": {"type": kind, "id": ident}}


def _entity(kind: str, ident: str, attrs: dict[str, Any]) -> dict[str, Any]:
    return {"uid": {"type": kind, "id": ident}, "attrs": attrs, "parents": []}


class Population:
    """Apps, subjects and consents turned into one Cedar entity set."""

    def __init__(
        self,
        *,
        catalog: Catalog,
        apps: Iterable[AppView],
        subjects: Iterable[SubjectView],
        consents: Iterable[ConsentView],
    ) -> None:
        self.catalog = catalog
        entities: list[dict[str, Any]] = []
        countries: set[str] = set()
        for name, spec in catalog.fields.items():
            field_attrs = {"special": spec.special, "forbidden": spec.forbidden_to_third_parties}
            entities.append(_entity("Field", name, field_attrs))
        for purpose_id, purpose in catalog.purposes.items():
            purpose_attrs = {"explicit_required": purpose.explicit_required}
            entities.append(_entity("Purpose", purpose_id, purpose_attrs))
        for app in apps:
            attrs: dict[str, Any] = {
                "status": str(app.status),
                "purposes": [_ref("Purpose", p) for p in sorted(app.purposes)],
                "approved_fields": [_ref("Field", f) for f in catalog.names(app.approved_mask)],
            }
            entities.append(_entity("App", app.id, attrs))
        for subject in subjects:
            country = subject.country or ""
            countries.add(country)
            attrs = {"country": _ref("Country", country)}
            if subject.birth_date is not None:
                attrs["birth_ymd"] = ymd(subject.birth_date)
            entities.append(_entity("Subject", subject.id, attrs))
        for country in countries:
            age = catalog.age_of_consent(country or None)
            entities.append(_entity("Country", country, {"age_of_consent": age}))
        for consent in consents:
            attrs = {
                "subject": _ref("Subject", consent.subject_id),
                "app": _ref("App", consent.app_id),
                "purpose": _ref("Purpose", consent.purpose),
                "fields": [_ref("Field", f) for f in catalog.names(consent.fields_mask)],
                "explicit": consent.explicit,
                "parental": consent.parental,
                "granted_at": consent.granted_us,
                "expires_at": consent.expires_us,
            }
            if consent.withdrawn_us is not None:
                attrs["withdrawn_at"] = consent.withdrawn_us
            entities.append(_entity("Consent", consent.id, attrs))
        self.entities = cedarpy.Entities.from_json_str(json.dumps(entities))


class CedarOracle:
    """The Cedar rule, loaded once."""

    def __init__(self, policy_dir: Path = POLICY_DIR) -> None:
        self.policy_text = (policy_dir / "consent.cedar").read_text("utf-8")
        self.schema_text = (policy_dir / "consent.cedarschema").read_text("utf-8")
        self.policies = cedarpy.PolicySet.from_str(self.policy_text)

    def validate(self) -> list[str]:
        """Schema validation errors of the policies (empty when they validate)."""
        result = cedarpy.validate_policies(self.policy_text, self.schema_text)
        return [str(error) for error in result.errors]

    def requests(
        self,
        *,
        app_id: str,
        subject_id: str,
        consent_ids: Sequence[str],
        purpose: str,
        fields: Sequence[str],
        now: datetime,
    ) -> list[tuple[str, dict[str, Any]]]:
        """The (field, request) pairs that decide one read."""
        context: dict[str, Any] = {
            "subject": _ref("Subject", subject_id),
            "purpose": _ref("Purpose", purpose),
            "now": to_micros(now),
            "today": ymd(now.date()),
        }
        out: list[tuple[str, dict[str, Any]]] = []
        candidates: list[str | None] = list(consent_ids) or [None]
        for name in dict.fromkeys(fields):
            for consent_id in candidates:
                ctx = dict(context)
                if consent_id is not None:
                    ctx["consent"] = _ref("Consent", consent_id)
                request = {
                    "principal": {"type": "App", "id": app_id},
                    "action": {"type": "Action", "id": "read"},
                    "resource": {"type": "Field", "id": name},
                    "context": ctx,
                }
                out.append((name, request))
        return out

    def allowed(
        self,
        population: Population,
        *,
        app_id: str,
        subject_id: str,
        consent_ids: Sequence[str],
        purpose: str,
        fields: Sequence[str],
        now: datetime,
    ) -> list[str]:
        """The fields Cedar releases for one read, in request order."""
        read = CedarRead(app_id, subject_id, tuple(consent_ids), purpose, tuple(fields), now)
        return self.allowed_many(population, [read])[0]

    def allowed_many(self, population: Population, reads: Sequence[CedarRead]) -> list[list[str]]:
        """The fields Cedar releases for each read (one engine call for all of them)."""
        owners: list[tuple[int, str]] = []
        requests: list[dict[str, Any]] = []
        for index, read in enumerate(reads):
            for name, request in self.requests(
                app_id=read.app_id,
                subject_id=read.subject_id,
                consent_ids=read.consent_ids,
                purpose=read.purpose,
                fields=read.fields,
                now=read.now,
            ):
                owners.append((index, name))
                requests.append(request)
        results = cedarpy.is_authorized_batch(requests, self.policies, population.entities)
        granted: list[set[str]] = [set() for _ in reads]
        for (index, name), result in zip(owners, results, strict=True):
            if result.allowed:
                granted[index].add(name)
        return [
            [name for name in dict.fromkeys(read.fields) if name in granted[index]]
            for index, read in enumerate(reads)
        ]


@dataclass(frozen=True)
class CedarRead:
    """One read to put to the Cedar oracle."""

    app_id: str
    subject_id: str
    consent_ids: tuple[str, ...]
    purpose: str
    fields: tuple[str, ...]
    now: datetime
