"""Benchmark: the disclosure ledger.

* durable appends per second on SQLite (WAL, synchronous=FULL) and on PostgreSQL (when one
  answers), side by side with pymerkle's SQLite backend (``append_entry``, one commit per
  entry, its own durable path) in the same run, two ways:
  - ``SqlLedger.append`` with one commit per batch, for each of ``--batches`` sizes;
  - group commit as the gateway does it: ``--in-flight`` asyncio tasks each handing one
    disclosure to the real ``DisclosureRecorder`` and awaiting its durable commit, so a batch
    is whatever gathered (at most ``--max-batch``);
* inclusion-proof latency (p50, p99) through ``SqlLedger.inclusion_proof`` against a
  published checkpoint, on trees of ``--proof-sizes`` leaves (persisted nodes, SQLite);
* full verification speed: leaves per second recomputing the root from leaf bytes, as
  ``consentgate ledger verify`` does.

Prints one JSON object with ``--json``.

    python benchmarks/ledger.py --json [--appends 30000] [--batches 100,256,1000]
        [--in-flight 64,1024] [--proof-sizes 1000000,10000000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import create_engine, insert, text

from consentgate.gateway.recorder import DisclosureRecorder, DisclosureRow
from consentgate.ledger.checkpoint import Checkpoint, sign_checkpoint
from consentgate.ledger.merkle import MemoryTree
from consentgate.ledger.note import NoteSigner
from consentgate.ledger.store import Entry, SqlLedger
from consentgate.settings import Settings
from consentgate.storage import Database, make_engine, migrate
from consentgate.storage.tables import ledger_checkpoints, ledger_nodes

POSTGRES_URL = os.environ.get(
    "CONSENTGATE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ORIGIN = "bench.example/consentgate/ledger/v1"


def entries(rng: random.Random, count: int, offset: int) -> list[Entry]:
    return [
        Entry(
            subject_id=str(rng.randint(1, 100_000)),
            app_id=f"app_{rng.randint(1, 1000)}",
            fields=("name", "birthday", "current_city"),
            purpose="academic_research",
            basis="consent",
            consent_id=f"cns_{rng.getrandbits(64):x}",
            request_id=f"req_{offset + i}",
            at_us=1_795_000_000_000_000 + offset + i,
        )
        for i in range(count)
    ]


def appends(url: str, count: int, batch: int) -> dict[str, Any]:
    engine = make_engine(url)
    migrate(engine)
    ledger = SqlLedger(Database(engine), NoteSigner(ORIGIN, Ed25519PrivateKey.generate()))
    rng = random.Random(1)
    work = [entries(rng, batch, i) for i in range(0, count, batch)]
    started = time.perf_counter()
    for chunk in work:
        ledger.append(chunk)  # one durable commit per batch
    elapsed = time.perf_counter() - started
    integrate_started = time.perf_counter()
    ledger.integrate()
    integrate_s = time.perf_counter() - integrate_started
    engine.dispose()
    return {
        "leaves": count,
        "batch": batch,
        "appends_per_s": round(count / elapsed),
        "integrate_s": round(integrate_s, 2),
    }


def group_commit(url: str, count: int, in_flight: int, max_batch: int) -> dict[str, Any]:
    """``in_flight`` tasks, each recording one disclosure at a time through the recorder (the
    read path's ``await recorder.record(rows)``) until ``count`` are durably committed."""
    engine = make_engine(url)
    migrate(engine)
    ledger = SqlLedger(Database(engine), NoteSigner(ORIGIN, Ed25519PrivateKey.generate()))
    recorder = DisclosureRecorder(ledger=ledger, max_batch=max_batch).start()
    rows = [
        DisclosureRow(
            at_us=e.at_us,
            app_id=e.app_id,
            subject_id=e.subject_id,
            fields=e.fields,
            purpose=e.purpose,
            consent_ids=(e.consent_id,),
            request_id=e.request_id,
        )
        for e in entries(random.Random(2), count, 0)
    ]
    feed = iter(rows)

    async def client() -> None:
        for row in feed:  # the tasks share one iterator: each row is recorded once
            await recorder.record([row])

    async def load() -> None:
        await asyncio.gather(*(client() for _ in range(in_flight)))

    started = time.perf_counter()
    asyncio.run(load())
    elapsed = time.perf_counter() - started
    recorder.close()
    written = ledger.leaves(0, count + 1)
    engine.dispose()
    if len(written) != count:
        raise RuntimeError(f"{count} recorded but {len(written)} leaves in the ledger")
    return {
        "leaves": count,
        "in_flight": in_flight,
        "max_batch": max_batch,
        "commits": recorder.batches,
        "mean_batch": round(count / recorder.batches, 1),
        "appends_per_s": round(count / elapsed),
    }


def store_figures(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Both append measurements on one database server (a fresh database or schema each)."""
    batches = [int(b) for b in args.batches.split(",")]
    in_flight = [int(n) for n in args.in_flight.split(",")]
    return {
        "batched": [appends(url.format(n=n), args.appends, b) for n, b in enumerate(batches)],
        "group_commit": [
            group_commit(url.format(n=f"g{n}"), args.appends, k, args.max_batch)
            for n, k in enumerate(in_flight)
        ],
    }


def pymerkle_appends(folder: Path, count: int) -> dict[str, Any]:
    from pymerkle import SqliteTree

    tree = SqliteTree(str(folder / "pymerkle.db"))
    rng = random.Random(1)
    data = [e.request_id.encode() * 8 for e in entries(rng, count, 0)]
    started = time.perf_counter()
    for item in data:
        tree.append_entry(item)
    elapsed = time.perf_counter() - started
    tree.close()
    return {"leaves": count, "appends_per_s": round(count / elapsed), "mode": "append_entry"}


def proof_latency(folder: Path, size: int, samples: int) -> dict[str, Any]:
    """Build a persisted tree of ``size`` leaf hashes, publish a checkpoint, time proofs."""
    url = f"sqlite:///{folder / f'proofs_{size}.db'}"
    engine = make_engine(url)
    migrate(engine)
    started = time.perf_counter()
    tree = MemoryTree.from_leaves([i.to_bytes(8, "big") for i in range(size)])
    with engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA synchronous=OFF")  # a bulk build, not the hot path
        for level, hashes in enumerate(tree.levels):
            for start in range(0, len(hashes), 100_000):
                connection.execute(
                    insert(ledger_nodes),
                    [
                        {"level": level, "idx": start + j, "hash": h}
                        for j, h in enumerate(hashes[start : start + 100_000])
                    ],
                )
        signer = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
        note = sign_checkpoint(Checkpoint(ORIGIN, size, tree.root()), signer)
        connection.execute(insert(ledger_checkpoints), [{"size": size, "note": note, "at_us": 0}])
    build_s = time.perf_counter() - started
    del tree
    ledger = SqlLedger(Database(engine), signer)
    rng = random.Random(size)
    timings = []
    for _ in range(samples):
        index = rng.randrange(size)
        t = time.perf_counter_ns()
        ledger.inclusion_proof(index, size)
        timings.append((time.perf_counter_ns() - t) / 1e6)
    timings.sort()
    engine.dispose()
    return {
        "leaves": size,
        "build_s": round(build_s, 1),
        "proof_p50_ms": round(statistics.median(timings), 3),
        "proof_p99_ms": round(timings[int(len(timings) * 0.99) - 1], 3),
        "samples": samples,
    }


def verification(count: int) -> dict[str, Any]:
    rng = random.Random(3)
    leaves = [
        (
            f'{{"app":"app_{rng.randint(1, 999)}","basis":"consent",'
            f'"consent":"cns_{rng.getrandbits(64):x}","fields":["name","birthday"],'
            f'"nonce":"{rng.getrandbits(128):x}","prev":{i - 1},"purpose":"academic_research",'
            f'"req":"req_{i}","subj":"ps1:{rng.getrandbits(256):x}",'
            f'"ts":{1_795_000_000_000 + i},"type":"disclosure","v":1}}'
        ).encode()
        for i in range(count)
    ]
    started = time.perf_counter()
    MemoryTree.from_leaves(leaves).root()  # what `ledger verify --url` does once it has them
    elapsed = time.perf_counter() - started
    return {"leaves": count, "leaves_per_s": round(count / elapsed)}


def postgres_url() -> str | None:
    """A URL template whose ``{n}`` names a fresh schema (dropped afterwards)."""
    try:
        admin = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with admin.connect():
            pass
        admin.dispose()
    except Exception:  # noqa: BLE001 — no server: the PostgreSQL figure is left out
        return None
    separator = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{separator}options=-csearch_path%3D{_schema('{n}')}"


def _schema(n: str) -> str:
    return f"cg_bench_{os.getpid()}_{n}"


def make_schemas(names: list[str]) -> None:
    _each_schema(names, 'CREATE SCHEMA IF NOT EXISTS "{}"')


def drop_schemas(names: list[str]) -> None:
    _each_schema(names, 'DROP SCHEMA IF EXISTS "{}" CASCADE')


def _each_schema(names: list[str], statement: str) -> None:
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        for name in names:
            connection.execute(text(statement.format(_schema(name))))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--appends", type=int, default=30_000)
    parser.add_argument("--batches", default="100,256,1000")
    parser.add_argument("--in-flight", default="64,1024")
    parser.add_argument("--max-batch", type=int, default=Settings().group_commit_max)
    parser.add_argument("--pymerkle-appends", type=int, default=5_000)
    parser.add_argument("--proof-sizes", default="1000000,10000000")
    parser.add_argument("--proof-samples", type=int, default=2_000)
    parser.add_argument("--verify-leaves", type=int, default=1_000_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="consentgate-ledger-bench-"))
    report: dict[str, Any] = {"benchmark": "ledger"}
    report["sqlite"] = store_figures(f"sqlite:///{folder}/appends_{{n}}.db", args)
    pg = postgres_url()
    if pg is not None:
        names = [str(n) for n in range(len(args.batches.split(",")))]
        names += [f"g{n}" for n in range(len(args.in_flight.split(",")))]
        make_schemas(names)
        try:
            report["postgresql"] = store_figures(pg, args)
        finally:
            drop_schemas(names)
    report["pymerkle_sqlite"] = pymerkle_appends(folder, args.pymerkle_appends)
    report["proofs"] = [
        proof_latency(folder, int(size), args.proof_samples) for size in args.proof_sizes.split(",")
    ]
    report["verification"] = verification(args.verify_leaves)
    report["machine"] = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(report) if args.json else json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
