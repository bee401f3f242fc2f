"""Breach scope and the records' observed columns as DuckDB SQL over the Parquet export
plus the not-yet-exported tail (read from the ledger store and handed to DuckDB as an Arrow
table), so the answer is exact up to the last leaf. ``DuckScope`` is a scope engine for
``breach`` (the same questions as ``ledger.scope`` / ``ledger.usage``, the same answers)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from consentgate.analytics.export import leaf_table
from consentgate.analytics.jobs import PersonRow, scope_from_rows
from consentgate.analytics.manifest import load_manifest
from consentgate.ledger import LedgerStore, Scope, StoredLeaf, Usage

__all__ = ["PERSON_SQL", "USAGE_SQL", "DuckScope", "connect", "person_rows", "usage_rows"]

# the app's disclosures in the window, from the files and the tail, per pseudonym
PERSON_SQL = """
SELECT subj,
       list_sort(list_distinct(flatten(list(fields)))) AS fields,
       min(at_us) AS first_us,
       max(at_us) AS last_us,
       count(*) AS records,
       max({'t': at_us, 'c': cc}) FILTER (WHERE cc <> '') AS country,
       min(idx) AS first_idx
FROM hits
GROUP BY subj
ORDER BY subj
"""

USAGE_SQL = """
SELECT app, purpose,
       list_sort(list_distinct(flatten(list(fields)))) AS fields,
       count(*) AS records,
       count(DISTINCT subj) AS people
FROM hits
GROUP BY app, purpose
ORDER BY app, purpose
"""

_COLUMNS = "idx, at_us, app, subj, purpose, fields, cc"
_EMPTY_HITS = (
    "CREATE OR REPLACE TEMP TABLE hits (idx BIGINT, at_us BIGINT, app VARCHAR, subj VARCHAR, "
    "purpose VARCHAR, fields VARCHAR[], cc VARCHAR)"
)


def connect(threads: int = 2) -> Any:
    import duckdb

    return duckdb.connect(config={"threads": threads})


def _hits(
    connection: Any,
    files: Sequence[str],
    tail: Sequence[StoredLeaf],
    *,
    app_id: str | None,
    start_us: int,
    end_us: int,
) -> None:
    """Define the view ``hits``: the disclosures of the window (of one app, if given)."""
    where = "kind = 'disclosure' AND at_us >= $start AND at_us < $end"
    params: dict[str, Any] = {"start": start_us, "end": end_us}
    if app_id is not None:
        where += " AND app = $app"
        params["app"] = app_id
    parts = []
    if files:
        listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
        parts.append(f"SELECT {_COLUMNS} FROM read_parquet([{listed}]) WHERE {where}")  # noqa: S608
    if tail:
        connection.register("tail_leaves", leaf_table(tail))
        parts.append(f"SELECT {_COLUMNS} FROM tail_leaves WHERE {where}")  # noqa: S608
    if not parts:
        connection.execute(_EMPTY_HITS)
        return
    body = " UNION ALL ".join(parts)
    # a view cannot hold parameters: materialise the (small) filtered rows once
    connection.execute(f"CREATE OR REPLACE TEMP TABLE hits AS {body}", params)


def _run(
    sql: str,
    files: Sequence[str],
    tail: Sequence[StoredLeaf],
    *,
    app_id: str | None,
    start: int,
    end: int,
    threads: int,
) -> list[tuple[Any, ...]]:
    """``sql`` over the window's ``hits`` on a connection of its own."""
    connection = connect(threads)
    try:
        _hits(connection, files, tail, app_id=app_id, start_us=start, end_us=end)
        found: list[tuple[Any, ...]] = connection.execute(sql).fetchall()
        return found
    finally:
        connection.close()


def person_rows(
    files: Sequence[str],
    tail: Sequence[StoredLeaf],
    *,
    app_id: str,
    start_us: int,
    end_us: int,
    threads: int = 2,
) -> list[PersonRow]:
    found = _run(
        PERSON_SQL, files, tail, app_id=app_id, start=start_us, end=end_us, threads=threads
    )
    return [
        PersonRow(
            subj=subj,
            fields=tuple(fields),
            first_us=int(first),
            last_us=int(last),
            records=int(records),
            country_us=None if country is None else int(country["t"]),
            country="" if country is None else str(country["c"]),
            first_idx=int(first_idx),
        )
        for subj, fields, first, last, records, country, first_idx in found
    ]


def usage_rows(
    files: Sequence[str],
    tail: Sequence[StoredLeaf],
    *,
    start_us: int,
    end_us: int,
    threads: int = 2,
) -> list[Usage]:
    found = _run(USAGE_SQL, files, tail, app_id=None, start=start_us, end=end_us, threads=threads)
    return [
        Usage(str(app), str(purpose), tuple(fields), int(records), int(people))
        for app, purpose, fields, records, people in found
    ]


@dataclass(frozen=True)
class DuckScope:
    """A scope engine on the export in ``directory`` and the ledger's tail past it."""

    directory: Path
    threads: int = 2
    name: str = "duckdb"

    def scope(self, ledger: LedgerStore, app_id: str, start_us: int, end_us: int) -> Scope:
        manifest = load_manifest(self.directory)
        tail = ledger.rows(manifest.end, app_id=app_id, start_us=start_us, end_us=end_us)
        rows = person_rows(
            manifest.files(self.directory),
            tail,
            app_id=app_id,
            start_us=start_us,
            end_us=end_us,
            threads=self.threads,
        )
        return scope_from_rows(
            rows,
            app_id=app_id,
            start_us=start_us,
            end_us=end_us,
            link=lambda wanted, since: ledger.link(wanted, since_index=since),
        )

    def usage(self, ledger: LedgerStore, start_us: int, end_us: int) -> list[Usage]:
        manifest = load_manifest(self.directory)
        tail = ledger.rows(manifest.end, start_us=start_us, end_us=end_us)
        return usage_rows(
            manifest.files(self.directory),
            tail,
            start_us=start_us,
            end_us=end_us,
            threads=self.threads,
        )
