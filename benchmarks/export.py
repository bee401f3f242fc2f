"""Benchmark: a person's export (``GET /v1/me/export``), side by side with the bare ledger
call it is built on, in one run.

A person with ``--disclosures`` ledger entries (spread over ``--apps`` approved apps, a
checkpoint covering them, so every entry carries its inclusion proof) is exported through
the library path the route takes: ``export_subject`` (source record, the ``access`` leaf
through the real group-commit recorder, the ledger part on one connection, apps in one
query) and the response model's JSON, and as the CSV zip — each against
``LedgerStore.disclosures_of`` alone, the floor. Median of ``--repeat`` runs. The target is
an export of 10,000 disclosures in at most 2 s.

Prints one JSON object with ``--json``.

    python benchmarks/export.py --json [--disclosures 10000] [--apps 20] [--repeat 5]
        [--database-url URL]   (default: a fresh SQLite file)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog

from consentgate.api.models.rights import ExportPublic
from consentgate.apps import approve_app, register_app
from consentgate.authz import Actor, Role
from consentgate.ledger import Entry
from consentgate.rights import export_csv, export_subject
from consentgate.runtime import Runtime, open_runtime
from consentgate.settings import Settings
from consentgate.sources.synthetic import generate_platform

PERSON = "1"
OPERATOR = Actor.operator("op_bench", Role.ADMIN)
REGISTRATION: dict[str, Any] = {
    "name": "Benchmark App",
    "developer": {"name": "Bench Ltd", "email": "dev@bench.example", "country": "IE"},
    "purposes": ["academic_research", "analytics"],
    "fields": {"name": "x", "birthday": "x", "current_city": "x", "page_likes": "x"},
    "retention_days": 30,
    "privacy_policy_url": "https://bench.example/privacy",
}


def seed(runtime: Runtime, disclosures: int, apps: int) -> None:
    """The platform, the apps, and ``disclosures`` ledger entries of the person, signed."""
    generate_platform(runtime.engine, subjects=50, seed=1, catalog=runtime.catalog)
    ids = []
    for _ in range(apps):
        app_id = register_app(
            runtime.stores.apps, runtime.catalog, REGISTRATION, actor=OPERATOR
        ).app.id
        approve_app(runtime.stores.apps, runtime.catalog, app_id, actor=OPERATOR)
        ids.append(app_id)
    start = 1_790_000_000_000_000
    batch = []
    for index in range(disclosures):
        batch.append(
            Entry(
                subject_id=PERSON,
                app_id=ids[index % apps],
                fields=("name", "birthday", "current_city"),
                purpose="academic_research",
                basis="consent",
                consent_id="cns_bench",
                request_id=f"req_bench_{index}",
                at_us=start + index * 1_000_000,
            )
        )
        if len(batch) == 1000:
            runtime.stores.ledger.append(batch)
            batch = []
    if batch:
        runtime.stores.ledger.append(batch)
    runtime.stores.ledger.integrate()


def timed(call: Callable[[], object], repeat: int) -> dict[str, float]:
    runs = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        runs.append(time.perf_counter() - began)
    return {"median_s": round(statistics.median(runs), 4), "min_s": round(min(runs), 4)}


def figures(url: str, args: argparse.Namespace) -> dict[str, Any]:
    runtime = open_runtime(Settings(database_url=url, demo=True, detect=False))
    try:
        seed(runtime, args.disclosures, args.apps)
        runtime.start()  # the recorder the export's access leaf goes through

        def bare() -> None:
            found = runtime.stores.ledger.disclosures_of(PERSON)
            assert len(found.items) >= args.disclosures

        def as_json() -> None:
            document = asyncio.run(export_subject(runtime.rights, runtime.gateway, PERSON))
            ExportPublic.model_validate(document).model_dump_json()

        def as_csv() -> None:
            document = asyncio.run(
                export_subject(runtime.rights, runtime.gateway, PERSON, purpose="portability")
            )
            export_csv(document)

        bare_figures = timed(bare, args.repeat)
        json_figures = timed(as_json, args.repeat)
        csv_figures = timed(as_csv, args.repeat)
        return {
            "disclosures_of": bare_figures,
            "export_json": json_figures,
            "export_csv": csv_figures,
            "json_over_bare": round(json_figures["median_s"] / bare_figures["median_s"], 2),
            "json_within_2s": json_figures["median_s"] <= 2.0,
        }
    finally:
        runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--disclosures", type=int, default=10_000)
    parser.add_argument("--apps", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))  # stdout: JSON
    folder = Path(tempfile.mkdtemp(prefix="consentgate-export-bench-"))
    url = args.database_url or f"sqlite:///{folder / 'export.db'}"
    report: dict[str, Any] = {
        "benchmark": "export",
        "disclosures": args.disclosures,
        "apps": args.apps,
        "repeat": args.repeat,
        "database": url.split(":", 1)[0],
        "figures": figures(url, args),
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
    }
    print(json.dumps(report) if args.json else json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
