"""Ledger analytics (a room with no tables; the optional ``analytics`` extra — duckdb and
pyarrow — and ``spark`` — pyspark): the ledger's sealed ranges exported to Parquet
(``export``, pseudonyms only, a manifest with the checkpoint covering each range, verified
against it), the breach-scope and records-of-processing questions as DuckDB SQL over those
files plus the not-yet-exported tail (``duck``), and the same scope job on Spark
(``spark``). Nothing here imports duckdb, pyarrow or pyspark until it is used, so the core
install never needs them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from consentgate.analytics.duck import DuckScope, person_rows, usage_rows
from consentgate.analytics.export import (
    DEFAULT_RANGE_LEAVES,
    ExportResult,
    RangeCheck,
    export_ledger,
    leaf_table,
    verify_export,
)
from consentgate.analytics.jobs import PersonRow, scope_from_rows
from consentgate.analytics.manifest import Manifest, RangeEntry, load_manifest
from consentgate.analytics.spark import local_session, spark_person_rows

__all__ = [
    "DEFAULT_RANGE_LEAVES",
    "DuckScope",
    "ExportResult",
    "Manifest",
    "PersonRow",
    "RangeCheck",
    "RangeEntry",
    "available",
    "duck_scope",
    "export_ledger",
    "leaf_table",
    "load_manifest",
    "local_session",
    "person_rows",
    "scope_from_rows",
    "spark_person_rows",
    "usage_rows",
    "verify_export",
]


def available() -> bool:
    """Whether the analytics extra (duckdb and pyarrow) is installed."""
    return all(importlib.util.find_spec(name) is not None for name in ("duckdb", "pyarrow"))


def duck_scope(directory: Path, *, threads: int = 2) -> DuckScope | None:
    """The DuckDB scope engine on the export in ``directory``; None without the extra."""
    return DuckScope(directory, threads=threads) if available() else None
