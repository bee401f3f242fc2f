"""Benchmark: consentgate's decision rule against the same rule in Cedar (cedarpy), same run.

Builds a population like the one in shared/reference/policy-engines.md — 100,000 subjects,
1,000 apps, ~500,000 consents, 8 fields, 4 purposes — then times reads decided by
``policy.decide`` and by Cedar on the same requests, and compares every Cedar answer with
ours. Cedar gets, per read, the entity slice the read needs (the app, the subject and their
country, the candidate consents, the fields and purposes): the mode a live, mutable consent
store forces (an immutable pre-parsed store of 600k entities cannot follow withdrawals).
Each read asks Cedar one request per (field, candidate consent), as policies/consent.cedar
is written. Prints one JSON object with ``--json``.

    python benchmarks/decide.py --json [--reads 200000] [--cedar-reads 10000]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib.metadata import version
from typing import Any

import cedarpy

from consentgate.catalog import default_catalog
from consentgate.clock import to_micros
from consentgate.policy import AppStatus, AppView, ConsentView, SubjectState, SubjectView, decide
from consentgate.testing.cedar import (
    CedarOracle,
    app_entity,
    catalog_entities,
    consent_entity,
    country_entity,
    subject_entity,
)

CATALOG = default_catalog()
FIELDS = [
    "name",
    "email",
    "birthday",
    "gender",
    "current_city",
    "page_likes",
    "political_views",
    "religion",
]
PURPOSES = ["service_provision", "academic_research", "analytics", "personalised_advertising"]
COUNTRIES = ["DE", "FR", "IT", "ES", "PL", "NL", "AT", "IE", "GB", "US"]
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
DAY_US = 86_400_000_000


@dataclass(frozen=True)
class Request:
    app_id: str
    subject_id: str
    purpose: str
    fields: tuple[str, ...]


@dataclass
class World:
    apps: dict[str, AppView]
    subjects: dict[str, SubjectView]
    consents: dict[tuple[str, str], list[ConsentView]]
    consent_count: int


def build_world(rng: random.Random, *, subjects: int, apps: int, consents: int) -> World:
    app_views = {}
    for index in range(apps):
        status = rng.choices(list(AppStatus), weights=[2, 90, 3, 5])[0]
        purposes = frozenset(rng.sample(PURPOSES, rng.randint(1, 4)))
        approved = rng.sample(FIELDS, rng.randint(2, 8))
        app_views[f"app_{index}"] = AppView(
            f"app_{index}", status, purposes, CATALOG.mask(approved)
        )
    subject_views = {}
    for index in range(1, subjects + 1):
        country = rng.choice(COUNTRIES)
        age = rng.randint(13, 80)
        birth = date(NOW.year - age, rng.randint(1, 12), rng.randint(1, 28))
        subject_views[str(index)] = SubjectView(str(index), country, birth)
    by_pair: dict[tuple[str, str], list[ConsentView]] = {}
    app_ids = list(app_views)
    now_us = to_micros(NOW)
    for index in range(consents):
        subject_id = str(rng.randint(1, subjects))
        app = app_views[rng.choice(app_ids)]
        granted = now_us - rng.randint(0, 120) * DAY_US
        withdrawn = now_us - rng.randint(0, 30) * DAY_US if rng.random() < 0.1 else None
        approved = CATALOG.names(app.approved_mask)
        fields = rng.sample(approved, rng.randint(1, min(3, len(approved))))
        consent = ConsentView(
            id=f"cns_{index}",
            subject_id=subject_id,
            app_id=app.id,
            purpose=rng.choice(sorted(app.purposes)),
            fields_mask=CATALOG.mask(fields),
            explicit=rng.random() < 0.5,
            parental=rng.random() < 0.1,
            granted_us=granted,
            expires_us=granted + 90 * DAY_US,
            withdrawn_us=withdrawn,
        )
        by_pair.setdefault((subject_id, app.id), []).append(consent)
    return World(app_views, subject_views, by_pair, consents)


def build_requests(rng: random.Random, world: World, count: int) -> list[Request]:
    pairs = list(world.consents)
    app_ids = list(world.apps)
    out = []
    for _ in range(count):
        if rng.random() < 0.7:  # most reads are of users who did consent to the app
            subject_id, app_id = rng.choice(pairs)
            purpose = rng.choice(world.consents[(subject_id, app_id)]).purpose
        else:
            subject_id = str(rng.randint(1, len(world.subjects)))
            app_id = rng.choice(app_ids)
            purpose = rng.choice(PURPOSES)
        out.append(
            Request(app_id, subject_id, purpose, tuple(rng.sample(FIELDS, rng.randint(1, 3))))
        )
    return out


def run_decide(world: World, request: Request) -> tuple[str, ...]:
    return decide(
        app=world.apps.get(request.app_id),
        subject=world.subjects.get(request.subject_id),
        consents=world.consents.get((request.subject_id, request.app_id), ()),
        purpose=request.purpose,
        fields=request.fields,
        catalog=CATALOG,
        now=NOW,
    ).allowed


BASE = cedarpy.Entities.from_json_str(
    json.dumps(catalog_entities(CATALOG) + [country_entity(c, CATALOG) for c in COUNTRIES])
)


def run_cedar(oracle: CedarOracle, world: World, request: Request) -> tuple[str, ...]:
    """One read through Cedar: the per-read entity slice added to a pre-parsed base of the
    static entities (fields, purposes, election windows, countries), the requests, one
    engine call. No election window is open at NOW, so none is put to Cedar."""
    entities: list[dict[str, Any]] = []
    app = world.apps.get(request.app_id)
    if app is not None:
        entities.append(app_entity(app, CATALOG))
    subject = world.subjects.get(request.subject_id)
    if subject is not None:
        entities.append(subject_entity(subject, SubjectState.NONE))
    candidates = world.consents.get((request.subject_id, request.app_id), [])
    entities.extend(consent_entity(consent, CATALOG) for consent in candidates)
    pairs = oracle.requests(
        app_id=request.app_id,
        subject_id=request.subject_id,
        consent_ids=[c.id for c in candidates],
        purpose=request.purpose,
        fields=request.fields,
        now=NOW,
    )
    store = BASE.with_added_json_str(json.dumps(entities))
    results = cedarpy.is_authorized_batch([r for _, r in pairs], oracle.policies, store)
    granted = {name for (name, _), result in zip(pairs, results, strict=True) if result.allowed}
    return tuple(name for name in request.fields if name in granted)


def throughput(fn: Any, world: World, requests: list[Request]) -> float:
    gc.disable()
    try:
        start = time.perf_counter()
        for request in requests:
            fn(world, request)
        elapsed = time.perf_counter() - start
    finally:
        gc.enable()
    return len(requests) / elapsed


def latencies_us(fn: Any, world: World, requests: list[Request]) -> tuple[float, float]:
    samples = []
    gc.disable()
    try:
        for request in requests:
            start = time.perf_counter_ns()
            fn(world, request)
            samples.append((time.perf_counter_ns() - start) / 1000)
    finally:
        gc.enable()
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--apps", type=int, default=1_000)
    parser.add_argument("--consents", type=int, default=500_000)
    parser.add_argument("--reads", type=int, default=200_000, help="reads timed through decide")
    parser.add_argument("--cedar-reads", type=int, default=10_000, help="reads timed through Cedar")
    parser.add_argument("--seed", type=int, default=2018)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    started = time.perf_counter()
    world = build_world(rng, subjects=args.subjects, apps=args.apps, consents=args.consents)
    build_s = time.perf_counter() - started
    requests = build_requests(rng, world, args.reads)
    cedar_requests = requests[: args.cedar_reads]
    oracle = CedarOracle()

    # correctness first: every Cedar-decided read must match decide, field for field
    mismatches = 0
    allowed_reads = 0
    cedar_engine_requests = 0
    for request in cedar_requests:
        ours = run_decide(world, request)
        theirs = run_cedar(oracle, world, request)
        allowed_reads += bool(ours)
        mismatches += ours != theirs
        cedar_engine_requests += len(request.fields) * max(
            1, len(world.consents.get((request.subject_id, request.app_id), ()))
        )

    decide_per_s = throughput(run_decide, world, requests)
    cedar_per_s = throughput(lambda w, r: run_cedar(oracle, w, r), world, cedar_requests)
    decide_p50, decide_p99 = latencies_us(run_decide, world, requests[:100_000])
    cedar_p50, cedar_p99 = latencies_us(lambda w, r: run_cedar(oracle, w, r), world, cedar_requests)

    result = {
        "benchmark": "decide",
        "population": {
            "subjects": len(world.subjects),
            "apps": len(world.apps),
            "consents": world.consent_count,
            "fields": len(FIELDS),
            "purposes": len(PURPOSES),
            "build_s": round(build_s, 2),
        },
        "reads_decide": len(requests),
        "reads_cedar": len(cedar_requests),
        "cedar_engine_requests_per_read": round(cedar_engine_requests / len(cedar_requests), 2),
        "share_of_reads_releasing_something": round(allowed_reads / len(cedar_requests), 3),
        "decide_per_s": round(decide_per_s),
        "decide_p50_us": round(decide_p50, 2),
        "decide_p99_us": round(decide_p99, 2),
        "cedar_per_s": round(cedar_per_s),
        "cedar_p50_us": round(cedar_p50, 1),
        "cedar_p99_us": round(cedar_p99, 1),
        "ratio": round(decide_per_s / cedar_per_s, 1),
        "mismatches": mismatches,
        "compared": len(cedar_requests),
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "cedarpy": version("cedarpy"),
        },
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(json.dumps(result, indent=2))
    if mismatches:
        sys.exit(1)


if __name__ == "__main__":
    main()
