"""The same scope job on Apache Spark (the ``spark`` extra), for a ledger past one machine:
over the same Parquet files (and the same tail rows), the same per-pseudonym rows as
``duck.person_rows`` — ``scope_from_rows`` turns either into the ledger's ``Scope``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from consentgate.analytics.jobs import PersonRow
from consentgate.ledger import Leaf, StoredLeaf

__all__ = ["local_session", "spark_person_rows"]


def local_session(*, cores: int = 2, app_name: str = "consentgate") -> Any:
    """A local SparkSession (``local[cores]``), quiet and small, for tests and benchmarks."""
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(max(2, cores)))
        .config("spark.driver.memory", "2g")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def spark_person_rows(
    spark: Any,
    files: Sequence[str],
    tail: Sequence[StoredLeaf],
    *,
    app_id: str,
    start_us: int,
    end_us: int,
) -> list[PersonRow]:
    from pyspark.sql import functions as F  # noqa: N812
    from pyspark.sql.types import (
        ArrayType,
        LongType,
        StringType,
        StructField,
        StructType,
    )

    schema = StructType(
        [
            StructField("idx", LongType(), False),
            StructField("at_us", LongType(), False),
            StructField("app", StringType(), False),
            StructField("subj", StringType(), False),
            StructField("kind", StringType(), False),
            StructField("fields", ArrayType(StringType(), False), False),
            StructField("cc", StringType(), False),
        ]
    )
    columns = [field.name for field in schema.fields]
    frames = []
    if files:
        frames.append(spark.read.parquet(*files).select(*columns))
    if tail:
        decoded = [(r.index, r.at_us, Leaf.decode(r.data), r.data) for r in tail]
        frames.append(
            spark.createDataFrame(
                [
                    (i, at, leaf.app, leaf.subj, leaf.kind, list(leaf.fields), leaf.cc)
                    for i, at, leaf, _ in decoded
                ],
                schema,
            )
        )
    if not frames:
        return []
    source = frames[0]
    for frame in frames[1:]:
        source = source.unionByName(frame)
    hits = source.where(
        (F.col("app") == app_id)
        & (F.col("kind") == "disclosure")
        & (F.col("at_us") >= start_us)
        & (F.col("at_us") < end_us)
    )
    grouped = (
        hits.groupBy("subj")
        .agg(
            F.array_sort(F.array_distinct(F.flatten(F.collect_list("fields")))).alias("fields"),
            F.min("at_us").alias("first_us"),
            F.max("at_us").alias("last_us"),
            F.count(F.lit(1)).alias("records"),
            F.max(F.when(F.col("cc") != "", F.struct("at_us", "cc"))).alias("country"),
            F.min("idx").alias("first_idx"),
        )
        .orderBy("subj")
    )
    return [
        PersonRow(
            subj=row["subj"],
            fields=tuple(row["fields"]),
            first_us=int(row["first_us"]),
            last_us=int(row["last_us"]),
            records=int(row["records"]),
            country_us=None if row["country"] is None else int(row["country"]["at_us"]),
            country="" if row["country"] is None else str(row["country"]["cc"]),
            first_idx=int(row["first_idx"]),
        )
        for row in grouped.collect()
    ]
