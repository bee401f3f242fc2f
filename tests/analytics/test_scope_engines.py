"""Scope equals ground truth: over random ledgers (apps, people, fields, windows, erasures,
an export cut anywhere, a tail past it), DuckDB over the Parquet export plus the tail, the
ledger store itself and a plain Python recount of what was appended agree exactly; so does
Spark over the same files (fewer examples: a Spark job costs about a second). Shredded
people are counted and never listed."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consentgate.analytics import (
    DuckScope,
    export_ledger,
    load_manifest,
    person_rows,
    scope_from_rows,
    spark_person_rows,
)
from consentgate.clock import to_micros
from consentgate.ledger import Entry, Scope
from consentgate.rights import shred_subject
from consentgate.stores import MemoryStores

T0 = datetime(2026, 6, 1, tzinfo=UTC)
APPS = ["app_a", "app_b", "app_c"]
FIELDS = ["name", "birthday", "page_likes", "political_views", "friends"]


@dataclass(frozen=True)
class Ledger:
    entries: list[Entry]
    shredded: set[str]
    exported_upto: int  # how many leaves the export should cover (the rest is the tail)
    range_leaves: int
    app: str
    start_us: int
    end_us: int


@st.composite
def ledgers(draw: st.DrawFn) -> Ledger:
    people = [f"p{i}" for i in range(draw(st.integers(1, 12)))]
    count = draw(st.integers(0, 60))
    entries = [
        Entry(
            subject_id=draw(st.sampled_from(people)),
            app_id=draw(st.sampled_from(APPS)),
            fields=tuple(
                draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=3, unique=True))
            ),
            purpose=draw(st.sampled_from(["analytics", "academic_research"])),
            basis="consent",
            consent_id="cns_x",
            request_id="req_x",
            at_us=to_micros(T0) + draw(st.integers(0, 1000)) * 1_000_000,
            country=draw(st.sampled_from(["", "DE", "FR", "US"])),
        )
        for _ in range(count)
    ]
    start = to_micros(T0) + draw(st.integers(0, 1000)) * 1_000_000
    end = start + draw(st.integers(1, 1000)) * 1_000_000
    return Ledger(
        entries=entries,
        shredded=set(draw(st.lists(st.sampled_from(people), max_size=3))),
        exported_upto=draw(st.integers(0, count)),
        range_leaves=draw(st.integers(1, 25)),
        app=draw(st.sampled_from(APPS)),
        start_us=start,
        end_us=end,
    )


def _build(ledger: Ledger, folder: Path) -> MemoryStores:
    stores = MemoryStores()
    first, rest = ledger.entries[: ledger.exported_upto], ledger.entries[ledger.exported_upto :]
    if first:
        stores.ledger.append(first)
    stores.ledger.integrate()
    export_ledger(stores.ledger, folder, range_leaves=ledger.range_leaves)
    if rest:
        stores.ledger.append(rest)  # the tail: appended, not yet exported (nor signed)
    for subject in sorted(ledger.shredded):
        shred_subject(stores, subject, now=T0 + timedelta(days=1))
    return stores


def _recount(ledger: Ledger) -> dict[str, Any]:
    hits = [
        e
        for e in ledger.entries
        if e.app_id == ledger.app and ledger.start_us <= e.at_us < ledger.end_us
    ]
    people = {e.subject_id for e in hits}
    fields: dict[str, set[str]] = {}
    for e in hits:
        for name in e.fields:
            fields.setdefault(name, set()).add(e.subject_id)

    def country(subject: str) -> str:
        seen = [(e.at_us, e.country) for e in hits if e.subject_id == subject and e.country]
        return max(seen)[1] if seen else ""

    return {
        "countries": {s: country(s) for s in people},
        "records": len(hits),
        "people": len(people),
        "listed": tuple(sorted(people - ledger.shredded)),
        "by_field": {name: len(who) for name, who in sorted(fields.items())},
        "per_person": {
            s: (
                tuple(sorted({f for e in hits if e.subject_id == s for f in e.fields})),
                min(e.at_us for e in hits if e.subject_id == s),
                max(e.at_us for e in hits if e.subject_id == s),
                sum(1 for e in hits if e.subject_id == s),
            )
            for s in people
        },
    }


def _facts(scope: Scope) -> dict[str, Any]:
    by_pseudonym = {p.pseudonym: p.country for p in scope.persons}
    return {
        "countries": sorted(by_pseudonym.values()),
        "records": scope.records,
        "people": scope.people,
        "listed": scope.subject_ids,
        "by_field": scope.by_field,
        "per_person": {
            p.subject_id: (p.fields, p.first_us, p.last_us, p.records)
            for p in scope.persons
            if p.subject_id is not None
        },
    }


def _expected(ledger: Ledger) -> dict[str, Any]:
    truth = _recount(ledger)
    truth["per_person"] = {s: v for s, v in truth["per_person"].items() if s not in ledger.shredded}
    truth["countries"] = sorted(truth["countries"].values())  # shredded people's too
    return truth


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ledger=ledgers())
def test_duckdb_the_ledger_and_a_recount_agree(ledger: Ledger) -> None:
    with tempfile.TemporaryDirectory() as folder:
        stores = _build(ledger, Path(folder))
        duck = DuckScope(Path(folder)).scope(
            stores.ledger, ledger.app, ledger.start_us, ledger.end_us
        )
        own = stores.ledger.scope(ledger.app, ledger.start_us, ledger.end_us)
    assert duck == own
    assert _facts(duck) == _expected(ledger)
    unlinked = [p for p in duck.persons if p.subject_id is None]
    assert len(unlinked) == len(ledger.shredded & set(_recount(ledger)["per_person"]))


@pytest.mark.slow
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(ledger=ledgers())
def test_spark_gives_the_same_rows_as_duckdb(spark: Any, ledger: Ledger) -> None:
    with tempfile.TemporaryDirectory() as folder:
        stores = _build(ledger, Path(folder))
        manifest = load_manifest(Path(folder))
        files = manifest.files(Path(folder))
        tail = stores.ledger.rows(manifest.end, app_id=ledger.app)
        window = {"app_id": ledger.app, "start_us": ledger.start_us, "end_us": ledger.end_us}
        from_spark = spark_person_rows(spark, files, tail, **window)
        from_duck = person_rows(files, tail, **window)
        assert from_spark == from_duck
        scope = scope_from_rows(
            from_spark,
            **window,
            link=lambda wanted, since: stores.ledger.link(wanted, since_index=since),
        )
    assert _facts(scope) == _expected(ledger)
