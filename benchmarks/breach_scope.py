"""Benchmark: one app's breach-window scope over a large ledger export, in DuckDB (2
threads, cold and warm) and in PySpark ``local[2]``, side by side in one run, each exact
count checked against the generator's ground truth.

The generator writes ``--rows`` disclosures as Parquet in the export's layout
(``consentgate ledger export --parquet``: one file per range of ``--range-rows`` leaves,
rows sorted by app then index, row groups of ``--row-group-rows``) with the columns the
scope reads — ``idx``, ``at_us``, ``app``, ``subj`` (47-character ``ps1:`` pseudonyms),
``kind``, ``purpose``, ``fields``, ``cc``; the leaf bytes and hashes (for verification, not
read by the scope) are left out to keep the files to a few GB. Apps are heavy-tailed
(Zipf, ``--apps``), people uniform over ``--people``, times spread over ``--days``. The
target is the app of popularity rank ``--target-rank`` over a ``--window-hours`` window in
the middle; the ground truth (records, people, people per field) is counted while
generating.

"Row groups skipped" are those whose footer statistics (min/max of ``app`` and ``at_us``)
exclude the predicate: what DuckDB's filter pushdown never reads. "Cold" is the first
query on a fresh connection / session (add ``--drop-caches`` to also drop the OS page
cache first, as root — it slows every process on the machine); "warm" the same query
again.

    python benchmarks/breach_scope.py --json [--rows 100000000] [--apps 100000]
        [--people 20000000] [--no-spark] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

T0_US = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z
FIELD_SETS = [
    ["name"],
    ["name", "birthday"],
    ["name", "current_city", "page_likes"],
    ["page_likes"],
    ["name", "birthday", "current_city", "page_likes"],
    ["friends"],
    ["name", "email"],
    ["political_views", "page_likes"],
]
PURPOSES = ["service_provision", "analytics", "academic_research", "personalised_advertising"]
COUNTRIES = ["DE", "FR", "IT", "ES", "PL", "NL", "IE", "GB", "US", "SE"]

SCOPE_SQL = """
SELECT count(*) AS records, count(DISTINCT subj) AS people
FROM read_parquet({files})
WHERE app = $app AND kind = 'disclosure' AND at_us >= $start AND at_us < $end
"""
FIELDS_SQL = """
SELECT f, count(DISTINCT subj) FROM (
  SELECT subj, unnest(fields) AS f FROM read_parquet({files})
  WHERE app = $app AND kind = 'disclosure' AND at_us >= $start AND at_us < $end
) GROUP BY f ORDER BY f
"""


def _hex_table() -> np.ndarray:
    digits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    table = np.empty((256, 2), dtype=np.uint8)
    table[:, 0] = digits[np.arange(256) >> 4]
    table[:, 1] = digits[np.arange(256) & 15]
    return table


_HEX = _hex_table()


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 of each value (a stable pseudo-random 64-bit word per person)."""
    z = x.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def pseudonyms(people: np.ndarray) -> pa.Array:
    """47-character ``ps1:`` strings, one per person id, as random-looking as real ones."""
    words = np.stack([_mix(people * np.uint64(3) + np.uint64(k)) for k in range(3)], axis=1)
    raw = words.view(np.uint8).reshape(len(people), 24)[:, :22]
    text = _HEX[raw].reshape(len(people), 44)[:, :43]
    full = np.empty((len(people), 47), dtype=np.uint8)
    full[:, :4] = np.frombuffer(b"ps1:", dtype=np.uint8)
    full[:, 4:] = text
    return pa.array(full.view("S47").ravel()).cast(pa.string())


def generate(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    rng = np.random.default_rng(args.seed)
    ranks = np.arange(1, args.apps + 1, dtype=np.float64)
    weights = 1.0 / ranks**args.zipf
    cumulative = np.cumsum(weights / weights.sum())
    app_names = np.array([f"app_{i:06d}" for i in range(args.apps)])
    span_us = args.days * 86_400_000_000
    start_us = T0_US + span_us // 2
    end_us = start_us + args.window_hours * 3_600_000_000
    target = args.target_rank - 1
    field_names = sorted({f for s in FIELD_SETS for f in s})
    values = pa.array([f for s in FIELD_SETS for f in s])
    set_offsets = np.cumsum([0] + [len(s) for s in FIELD_SETS])
    truth_people: list[np.ndarray] = []
    truth_fields: dict[str, list[np.ndarray]] = {f: [] for f in field_names}
    records = 0
    files = []
    started = time.perf_counter()
    for first in range(0, args.rows, args.range_rows):
        n = min(args.range_rows, args.rows - first)
        idx = np.arange(first, first + n, dtype=np.int64)
        at_us = T0_US + (idx.astype(np.float64) * span_us / args.rows).astype(np.int64)
        app = np.searchsorted(cumulative, rng.random(n), side="right").clip(0, args.apps - 1)
        people = rng.integers(0, args.people, n, dtype=np.int64).astype(np.uint64)
        combo = rng.integers(0, len(FIELD_SETS), n)
        hit = (app == target) & (at_us >= start_us) & (at_us < end_us)
        records += int(hit.sum())
        truth_people.append(np.unique(people[hit]))
        for k, chosen in enumerate(FIELD_SETS):
            who = people[hit & (combo == k)]
            for name in chosen:
                truth_fields[name].append(who)
        order = np.lexsort((idx, app))
        lengths = np.diff(set_offsets)[combo[order]]
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
        starts = np.repeat(set_offsets[combo[order]], lengths)
        within = np.arange(len(starts)) - np.repeat(offsets[:-1], lengths)
        table = pa.table(
            {
                "idx": idx[order],
                "at_us": at_us[order],
                "app": pa.array(app_names[app[order]]),
                "subj": pseudonyms(people[order]),
                "kind": pa.array(np.full(n, "disclosure")),
                "purpose": pa.array(np.array(PURPOSES)[rng.integers(0, 4, n)][order]),
                "fields": pa.ListArray.from_arrays(
                    pa.array(offsets), values.take(pa.array(starts + within))
                ),
                "cc": pa.array(np.array(COUNTRIES)[rng.integers(0, 10, n)][order]),
            }
        )
        name = folder / f"leaves-{first:012d}-{first + n:012d}.parquet"
        pq.write_table(table, name, row_group_size=args.row_group_rows, compression="zstd")
        files.append(str(name))
    people_total = np.unique(np.concatenate(truth_people)) if truth_people else np.array([])
    by_field = {
        f: len(np.unique(np.concatenate(parts))) for f, parts in truth_fields.items() if parts
    }
    return {
        "files": files,
        "seconds": round(time.perf_counter() - started, 1),
        "bytes": sum(os.path.getsize(f) for f in files),
        "target": {"app": str(app_names[target]), "start_us": start_us, "end_us": end_us},
        "truth": {
            "records": records,
            "people": len(people_total),
            "by_field": {f: n for f, n in sorted(by_field.items()) if n},
        },
    }


def skipped_row_groups(files: list[str], app: str, start_us: int, end_us: int) -> dict[str, int]:
    total = skipped = 0
    for path in files:
        meta = pq.ParquetFile(path).metadata
        names = [meta.schema.column(i).name for i in range(meta.num_columns)]
        a, t = names.index("app"), names.index("at_us")
        for g in range(meta.num_row_groups):
            total += 1
            sa = meta.row_group(g).column(a).statistics
            st = meta.row_group(g).column(t).statistics
            out = (sa is not None and sa.has_min_max and not (sa.min <= app <= sa.max)) or (
                st is not None and st.has_min_max and (st.max < start_us or st.min >= end_us)
            )
            skipped += int(out)
    return {"row_groups": total, "row_groups_skipped": skipped}


def _drop_caches() -> None:
    os.sync()
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


def run_duckdb(files: list[str], target: dict[str, Any], *, threads: int) -> dict[str, Any]:
    import duckdb

    listed = "[" + ", ".join(f"'{f}'" for f in files) + "]"
    params = {"app": target["app"], "start": target["start_us"], "end": target["end_us"]}

    def once(connection: Any) -> tuple[float, tuple[int, int], dict[str, int]]:
        started = time.perf_counter()
        records, people = connection.execute(SCOPE_SQL.format(files=listed), params).fetchone()
        fields = dict(connection.execute(FIELDS_SQL.format(files=listed), params).fetchall())
        return time.perf_counter() - started, (records, people), fields

    connection = duckdb.connect(config={"threads": threads})
    cold, counts, fields = once(connection)
    warm = min(once(connection)[0] for _ in range(3))
    connection.close()
    return {
        "threads": threads,
        "cold_seconds": round(cold, 3),
        "warm_seconds": round(warm, 3),
        "records": counts[0],
        "people": counts[1],
        "by_field": fields,
    }


def run_spark(files: list[str], target: dict[str, Any], *, cores: int) -> dict[str, Any]:
    from pyspark.sql import functions as F  # noqa: N812

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from consentgate.analytics import local_session

    started = time.perf_counter()
    spark = local_session(cores=cores, app_name="breach-scope-benchmark")
    session_seconds = time.perf_counter() - started

    def once() -> tuple[float, tuple[int, int], dict[str, int]]:
        began = time.perf_counter()
        hits = spark.read.parquet(*files).where(
            (F.col("app") == target["app"])
            & (F.col("kind") == "disclosure")
            & (F.col("at_us") >= target["start_us"])
            & (F.col("at_us") < target["end_us"])
        )
        row = hits.agg(F.count(F.lit(1)), F.countDistinct("subj")).collect()[0]
        per_field = (
            hits.select("subj", F.explode("fields").alias("f"))
            .groupBy("f")
            .agg(F.countDistinct("subj"))
            .collect()
        )
        return (
            time.perf_counter() - began,
            (int(row[0]), int(row[1])),
            {r[0]: int(r[1]) for r in sorted(per_field)},
        )

    try:
        cold, counts, fields = once()
        warm = once()[0]
    finally:
        spark.stop()
    return {
        "master": f"local[{cores}]",
        "session_start_seconds": round(session_seconds, 3),
        "cold_seconds": round(cold, 3),
        "warm_seconds": round(warm, 3),
        "records": counts[0],
        "people": counts[1],
        "by_field": fields,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--apps", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=20_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--zipf", type=float, default=1.1, help="app popularity exponent")
    parser.add_argument("--target-rank", type=int, default=20)
    parser.add_argument("--window-hours", type=int, default=72)
    parser.add_argument("--range-rows", type=int, default=1_000_000)
    parser.add_argument("--row-group-rows", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--drop-caches", action="store_true", help="(root) before cold runs")
    parser.add_argument("--keep", type=Path, help="write (or reuse) the files here")
    args = parser.parse_args()

    folder = args.keep or Path(tempfile.mkdtemp(prefix="breach-scope-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        generated = generate(args, folder)
        target, truth = generated["target"], generated["truth"]
        result: dict[str, Any] = {
            "benchmark": "breach_scope",
            "rows": args.rows,
            "apps": args.apps,
            "people": args.people,
            "files": len(generated["files"]),
            "bytes": generated["bytes"],
            "generate_seconds": generated["seconds"],
            "target": target,
            "ground_truth": truth,
            **skipped_row_groups(generated["files"], **_target_args(target)),
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
            },
        }
        if args.drop_caches:
            _drop_caches()
        duck = run_duckdb(generated["files"], target, threads=args.threads)
        duck["exact"] = (duck["records"], duck["people"], duck["by_field"]) == (
            truth["records"],
            truth["people"],
            truth["by_field"],
        )
        result["duckdb"] = duck
        if not args.no_spark:
            if args.drop_caches:
                _drop_caches()
            spark = run_spark(generated["files"], target, cores=args.threads)
            spark["exact"] = (spark["records"], spark["people"], spark["by_field"]) == (
                truth["records"],
                truth["people"],
                truth["by_field"],
            )
            result["spark"] = spark
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    exact = result["duckdb"]["exact"] and result.get("spark", {"exact": True})["exact"]
    sys.exit(0 if exact else 1)


def _target_args(target: dict[str, Any]) -> dict[str, Any]:
    return {"app": target["app"], "start_us": target["start_us"], "end_us": target["end_us"]}


if __name__ == "__main__":
    main()
