"""A breach's scope, exact, from the ledger: how many people and records, per country and
per field, how many with special-category data, how many minors, the lead authority and
every EU/EEA authority whose residents are affected — and the affected people still
linkable, kept for the Art. 34 notices.

The ledger question itself (an app's disclosures in a window, per person) is answered by a
``ScopeEngine``: ``LedgerScope`` asks the ledger store (SQL, or the memory twin); the
analytics extra's DuckDB engine (``analytics.DuckScope``) answers it from the Parquet export
plus the not-yet-exported tail, identically. Countries come from the leaves where they carry
one and from the source otherwise; ages from the source (so a shredded person's country may
be known, never their age).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from consentgate.breach.authorities import authorities, authority_of
from consentgate.breach.models import BreachSubject
from consentgate.catalog import Catalog
from consentgate.clock import age_on, from_micros
from consentgate.ledger import LedgerStore, Scope, Usage
from consentgate.sources import Source

__all__ = ["UNKNOWN_COUNTRY", "LedgerScope", "ScopeEngine", "scope_document"]

UNKNOWN_COUNTRY = "unknown"


class ScopeEngine(Protocol):
    """Answers the ledger's two analytic questions (through ``ledger`` where it needs the
    store: the tail past an export, the pseudonym → person mapping)."""

    @property
    def name(self) -> str: ...

    def scope(self, ledger: LedgerStore, app_id: str, start_us: int, end_us: int) -> Scope: ...

    def usage(self, ledger: LedgerStore, start_us: int, end_us: int) -> list[Usage]: ...


@dataclass(frozen=True)
class LedgerScope:
    """The ledger store's own answers (SQL, or in memory)."""

    name: str = "sql"

    def scope(self, ledger: LedgerStore, app_id: str, start_us: int, end_us: int) -> Scope:
        return ledger.scope(app_id, start_us, end_us)

    def usage(self, ledger: LedgerStore, start_us: int, end_us: int) -> list[Usage]:
        return ledger.usage(start_us, end_us)


def scope_document(
    scope: Scope,
    *,
    catalog: Catalog,
    source: Source,
    lead_authority: str,
    on: date,
    engine: str,
) -> tuple[dict[str, Any], list[BreachSubject]]:
    """The contract's ``scope`` object and the affected people still linkable. A minor is
    below their country's age of digital consent (Art. 8, the catalog's table) on ``on``."""
    linked = [p for p in scope.persons if p.subject_id is not None]
    views = {}
    ids = [p.subject_id for p in linked if p.subject_id is not None]
    for start in range(0, len(ids), 1000):
        views.update(source.attributes(ids[start : start + 1000]))
    special = {name for name, spec in catalog.fields.items() if spec.special}
    by_country: dict[str, int] = {}
    minors = special_people = unknown_age = 0
    subjects = []
    for person in scope.persons:
        view = views.get(person.subject_id) if person.subject_id is not None else None
        country = (person.country or (view.country if view is not None else "") or "").upper()
        key = country or UNKNOWN_COUNTRY
        by_country[key] = by_country.get(key, 0) + 1
        if special.intersection(person.fields):
            special_people += 1
        if view is None or view.birth_date is None:
            unknown_age += 1
        elif age_on(view.birth_date, on) < catalog.age_of_consent(view.country):
            minors += 1
        if person.subject_id is not None:
            subjects.append(
                BreachSubject(
                    subject_id=person.subject_id,
                    fields=person.fields,
                    first_at=from_micros(person.first_us),
                    last_at=from_micros(person.last_us),
                    records=person.records,
                    country=country,
                )
            )
    lead = authority_of(lead_authority)
    table = authorities()
    concerned = [
        table[code].as_dict() | {"subjects": by_country[code], "lead": code == lead_authority}
        for code in sorted(by_country)
        if code in table
    ]
    document = {
        "subjects": scope.people,
        "records": scope.records,
        "by_country": dict(sorted(by_country.items())),
        "by_field": dict(scope.by_field),
        "special_category_subjects": special_people,
        "minors": minors,
        "lead_authority": None if lead is None else lead.as_dict(),
        "authorities": concerned,
        "linkable_subjects": len(linked),
        "unlinked_subjects": scope.people - len(linked),
        "age_unknown_subjects": unknown_age,
        "engine": engine,
    }
    subjects.sort(key=lambda s: s.subject_id)
    return document, subjects


def disclosed_fields(scope_doc: dict[str, Any]) -> Sequence[str]:
    return sorted(scope_doc.get("by_field", {}))
