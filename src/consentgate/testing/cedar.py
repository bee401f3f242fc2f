"""Evaluate the Cedar specification of the release rule (``policies/consent.cedar``).

The same inputs ``policy.decide`` takes are turned into Cedar entities; a field is allowed
when some candidate consent makes Cedar answer Allow under every election window of the
catalog (one request per field, consent and window). Needs the ``cedarpy`` package (a test
extra).

Windows that do not list the subject's country cannot refuse anything under the Cedar rule
(it checks coverage itself), so by default a read is put to Cedar under the windows listing
the subject's country only — every window when the country is unknown; a ``CedarRead`` may
name its windows instead (the differential test sometimes names all of them).

The oracle passes facts, not conclusions: dates as YYYYMMDD integers (``clock.ymd``), a
country's EU/EEA membership from ``catalog.EEA_COUNTRIES``, which purpose is the political
one, each window's countries, days and voting age. Whether a window is open, covers the
person, and what it then forbids is the Cedar rule's to say.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cedarpy

from consentgate.catalog import EEA_COUNTRIES, POLITICAL_PURPOSE, Catalog, ElectionWindow
from consentgate.clock import to_micros, ymd
from consentgate.policy import AppView, ConsentView, SubjectState, SubjectView

__all__ = [
    "POLICY_DIR",
    "CedarOracle",
    "CedarRead",
    "Population",
    "app_entity",
    "catalog_entities",
    "consent_entity",
    "country_entity",
    "subject_entity",
]

POLICY_DIR = Path(__file__).resolve().parents[3] / "policies"


def _ref(kind: str, ident: str) -> dict[str, Any]:
    return {"__entity": {"type": kind, "id": ident}}


def _entity(kind: str, ident: str, attrs: dict[str, Any]) -> dict[str, Any]:
    return {"uid": {"type": kind, "id": ident}, "attrs": attrs, "parents": []}


def _country_id(country: str | None) -> str:
    """Countries by upper-case code, as the catalog reads them; "" for an unknown one."""
    return (country or "").upper()


def country_entity(country: str | None, catalog: Catalog) -> dict[str, Any]:
    code = _country_id(country)
    attrs = {
        "age_of_consent": catalog.age_of_consent(code or None),
        "known": bool(code),
        "eea": code in EEA_COUNTRIES,
    }
    return _entity("Country", code, attrs)


def catalog_entities(catalog: Catalog) -> list[dict[str, Any]]:
    """Fields, purposes, election windows and the countries the windows name."""
    entities = []
    for name, spec in catalog.fields.items():
        field_attrs = {"special": spec.special, "forbidden": spec.forbidden_to_third_parties}
        entities.append(_entity("Field", name, field_attrs))
    for purpose_id, purpose in catalog.purposes.items():
        purpose_attrs = {
            "explicit_required": purpose.explicit_required,
            "political": purpose_id == POLITICAL_PURPOSE,
        }
        entities.append(_entity("Purpose", purpose_id, purpose_attrs))
    for window in catalog.elections.values():
        entities.append(_election_entity(window))
    return entities


def _election_entity(window: ElectionWindow) -> dict[str, Any]:
    attrs = {
        "countries": [_ref("Country", code) for code in sorted(window.countries)],
        "start": ymd(window.start),
        "end": ymd(window.end),
        "voting_age": window.voting_age,
    }
    return _entity("Election", window.name, attrs)


def app_entity(app: AppView, catalog: Catalog) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "status": str(app.status),
        "purposes": [_ref("Purpose", p) for p in sorted(app.purposes)],
        "approved_fields": [_ref("Field", f) for f in catalog.names(app.approved_mask)],
    }
    if app.developer_country:
        attrs["developer_country"] = _ref("Country", _country_id(app.developer_country))
    return _entity("App", app.id, attrs)


def subject_entity(subject: SubjectView, state: SubjectState) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "country": _ref("Country", _country_id(subject.country)),
        "restricted": state.restricted,
        "objections": [_ref("Purpose", p) for p in sorted(state.objections)],
    }
    if subject.birth_date is not None:
        attrs["birth_ymd"] = ymd(subject.birth_date)
    return _entity("Subject", subject.id, attrs)


def consent_entity(consent: ConsentView, catalog: Catalog) -> dict[str, Any]:
    attrs: dict[str, Any] = {
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
    return _entity("Consent", consent.id, attrs)


class Population:
    """Apps, subjects (with their processing state) and consents, and the catalog's fields,
    purposes and election windows, turned into one Cedar entity set."""

    def __init__(
        self,
        *,
        catalog: Catalog,
        apps: Iterable[AppView],
        subjects: Iterable[SubjectView],
        consents: Iterable[ConsentView],
        states: Mapping[str, SubjectState] | None = None,
    ) -> None:
        self.catalog = catalog
        self.election_ids = tuple(catalog.elections)
        self._subject_countries: dict[str, str] = {}
        states = states or {}
        entities = catalog_entities(catalog)
        countries: set[str] = set()
        for window in catalog.elections.values():
            countries |= window.countries
        for app in apps:
            entities.append(app_entity(app, catalog))
            if app.developer_country:
                countries.add(_country_id(app.developer_country))
        for subject in subjects:
            countries.add(_country_id(subject.country))
            self._subject_countries[subject.id] = _country_id(subject.country)
            entities.append(subject_entity(subject, states.get(subject.id, SubjectState.NONE)))
        entities.extend(country_entity(code, catalog) for code in sorted(countries))
        entities.extend(consent_entity(consent, catalog) for consent in consents)
        self.entities = cedarpy.Entities.from_json_str(json.dumps(entities))

    def windows_for(self, subject_id: str) -> tuple[str, ...]:
        """The election windows a read of ``subject_id`` is put to Cedar under: those that
        list the subject's country, every one when it is unknown, none for a subject the
        population does not hold (Cedar denies them anyway)."""
        code = self._subject_countries.get(subject_id)
        if code is None:
            return ()
        return tuple(
            name
            for name, window in self.catalog.elections.items()
            if not code or code in window.countries
        )


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
        election_ids: Sequence[str] = (),
    ) -> list[tuple[str, dict[str, Any]]]:
        """The (field, request) pairs that decide one read: for each field, each candidate
        consent in turn under each election window in turn."""
        return [
            (name, request)
            for name, _, request in self._requests(
                app_id, subject_id, consent_ids, purpose, fields, now, election_ids
            )
        ]

    def _requests(
        self,
        app_id: str,
        subject_id: str,
        consent_ids: Sequence[str],
        purpose: str,
        fields: Sequence[str],
        now: datetime,
        election_ids: Sequence[str],
    ) -> Iterator[tuple[str, int, dict[str, Any]]]:
        """(field, group, request): one group per (field, candidate consent), one request in
        it per election window (a single request without a window when there are none)."""
        context: dict[str, Any] = {
            "subject": _ref("Subject", subject_id),
            "purpose": _ref("Purpose", purpose),
            "now": to_micros(now),
            "today": ymd(now.date()),
            "utc_day": ymd(now.astimezone(UTC).date()),
        }
        candidates: list[str | None] = list(consent_ids) or [None]
        windows: list[str | None] = list(election_ids) or [None]
        # one JSON context per (consent, window), shared by every field
        contexts: list[list[str]] = []
        for consent_id in candidates:
            row = []
            for election_id in windows:
                ctx = dict(context)
                if consent_id is not None:
                    ctx["consent"] = _ref("Consent", consent_id)
                if election_id is not None:
                    ctx["election"] = _ref("Election", election_id)
                row.append(json.dumps(ctx))
            contexts.append(row)
        principal = {"type": "App", "id": app_id}
        action = {"type": "Action", "id": "read"}
        group = 0
        for name in dict.fromkeys(fields):
            resource = {"type": "Field", "id": name}
            for row in contexts:
                for ctx_json in row:
                    request = {
                        "principal": principal,
                        "action": action,
                        "resource": resource,
                        "context": ctx_json,
                    }
                    yield name, group, request
                group += 1

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
        owners: list[tuple[int, str, int]] = []
        requests: list[dict[str, Any]] = []
        for index, read in enumerate(reads):
            windows = (
                population.windows_for(read.subject_id)
                if read.election_ids is None
                else read.election_ids
            )
            for name, group, request in self._requests(
                read.app_id,
                read.subject_id,
                read.consent_ids,
                read.purpose,
                read.fields,
                read.now,
                windows,
            ):
                owners.append((index, name, group))
                requests.append(request)
        results = cedarpy.is_authorized_batch(requests, self.policies, population.entities)
        # a (field, consent) group releases the field only if every window in it allows
        refused: set[tuple[int, int]] = set()
        for (index, _, group), result in zip(owners, results, strict=True):
            if not result.allowed:
                refused.add((index, group))
        granted: list[set[str]] = [set() for _ in reads]
        for index, name, group in owners:
            if (index, group) not in refused:
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
    election_ids: tuple[str, ...] | None = None  # None: the windows listing the country
