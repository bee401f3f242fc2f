"""A ``Source`` over an existing SQL table: catalog fields mapped to columns.

``SqlMapping`` names the table, its id column, the column of each catalog field, the country
and birth-date columns, and optionally an edge table for friendships. ``SqlSource`` checks
the mapping against the catalog and the live schema when it is built, so a wrong column name
fails at start-up with one clear error rather than on the first read.

Writes (rights requests) go through statements the mapping configures (``SqlWrites``): a
``rectify`` template run once per changed field with ``{column}`` replaced by the field's
mapped column and ``:value``, ``:subject_id`` bound, and the ``erase`` statements run with
``:subject_id`` bound — each request's statements in one transaction. Without them the
source cannot write (``writes``), and the request is refused (``SourceReadOnly``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Date, DateTime, Engine, MetaData, Table, bindparam, select, text
from sqlalchemy.exc import NoSuchTableError, SQLAlchemyError

from consentgate.catalog import Catalog
from consentgate.errors import InvalidInput, SourceReadOnly, StorageUnavailable, UnknownField
from consentgate.policy import SubjectView
from consentgate.sources.base import Record, SourceWrites
from consentgate.storage.raw import raw_reads

__all__ = ["SqlMapping", "SqlSource", "SqlWrites"]

_CHUNK = 500


@dataclass(frozen=True)
class SqlMapping:
    table: str
    id_column: str
    columns: Mapping[str, str]
    country_column: str
    birth_date_column: str
    json_columns: frozenset[str] = field(default_factory=frozenset)
    friends_table: str | None = None
    friends_subject_column: str = "subject_id"
    friends_friend_column: str = "friend_id"
    schema: str | None = None


@dataclass(frozen=True)
class SqlWrites:
    """The statements a source writes with (None / empty: it cannot)."""

    rectify: str | None = None  # with {column}, :value and :subject_id
    erase: tuple[str, ...] = ()  # each with :subject_id

    def __post_init__(self) -> None:
        if self.rectify is not None:
            for part in ("{column}", ":value", ":subject_id"):
                if part not in self.rectify:
                    raise InvalidInput(f"the rectify statement must contain {part}")
        for statement in self.erase:
            if ":subject_id" not in statement:
                raise InvalidInput("every erase statement must contain :subject_id")


class SqlSource:
    """Reads mapped columns of one table (and friendships from an edge table)."""

    def __init__(
        self,
        engine: Engine,
        mapping: SqlMapping,
        *,
        catalog: Catalog,
        statements: SqlWrites | None = None,
    ) -> None:
        self.engine = engine
        self.mapping = mapping
        self.statements = statements or SqlWrites()
        for name in mapping.columns:
            if name not in catalog.fields:
                raise UnknownField(name)
        meta = MetaData()
        self.table = _reflect(engine, meta, mapping.table, mapping.schema)
        needed = [
            mapping.id_column,
            mapping.country_column,
            mapping.birth_date_column,
            *mapping.columns.values(),
        ]
        for column in needed:
            _column(self.table, column)
        self._attributes_statements = self._by_ids(
            [self.table.c[mapping.country_column], self.table.c[mapping.birth_date_column]]
        )
        self._fetch_statements: dict[tuple[str, ...], tuple[Any, Any]] = {}
        self._raw = raw_reads(engine)
        self._compiled: dict[Any, tuple[str, list[Any]]] = {}
        self.friends_table: Table | None = None
        if mapping.friends_table is not None:
            self.friends_table = _reflect(engine, meta, mapping.friends_table, mapping.schema)
            _column(self.friends_table, mapping.friends_subject_column)
            _column(self.friends_table, mapping.friends_friend_column)

    def fetch(self, subject_ids: Sequence[str], fields: Sequence[str]) -> dict[str, Record]:
        mapping = self.mapping
        wanted = tuple(name for name in dict.fromkeys(fields) if name in mapping.columns)
        statements = self._fetch_statements.get(wanted)
        if statements is None:
            statements = self._by_ids([self.table.c[mapping.columns[name]] for name in wanted])
            self._fetch_statements[wanted] = statements
        out: dict[str, Record] = {}
        for chunk in _chunks(subject_ids):
            for row in self._rows_by_ids(statements, chunk):
                record = {
                    name: self._value(mapping.columns[name], row[index + 1])
                    for index, name in enumerate(wanted)
                }
                out[str(row[0])] = record
        if "friends" in fields and "friends" not in mapping.columns:
            for subject_id in out:
                out[subject_id]["friends"] = self.friends(subject_id)
        return out

    def friends(self, subject_id: str) -> list[str]:
        if self.friends_table is None:
            return []
        mapping = self.mapping
        subject_col = self.friends_table.c[mapping.friends_subject_column]
        friend_col = self.friends_table.c[mapping.friends_friend_column]
        statement = select(friend_col).where(subject_col == subject_id).order_by(friend_col)
        return [str(row[0]) for row in self._rows(statement)]

    def attributes(self, subject_ids: Sequence[str]) -> dict[str, SubjectView]:
        out: dict[str, SubjectView] = {}
        for chunk in _chunks(subject_ids):
            for ident, country, birth in self._rows_by_ids(self._attributes_statements, chunk):
                out[str(ident)] = SubjectView(
                    id=str(ident),
                    country=str(country).upper() if country else None,
                    birth_date=_as_date(birth),
                )
        return out

    @property
    def writes(self) -> SourceWrites:
        return SourceWrites(
            rectify=self.statements.rectify is not None, erase=bool(self.statements.erase)
        )

    def rectify(self, subject_id: str, changes: Mapping[str, Any]) -> None:
        template = self.statements.rectify
        if template is None:
            raise SourceReadOnly("rectify")
        statements = []
        for name, value in changes.items():
            column = self.mapping.columns.get(name)
            if column is None:
                raise InvalidInput(f"field {name!r} is not held by this source")
            statements.append(
                (text(template.replace("{column}", column)), self._bind_value(column, value))
            )
        self._write(
            [
                (statement, {"value": value, "subject_id": subject_id})
                for statement, value in statements
            ]
        )

    def erase(self, subject_id: str) -> None:
        if not self.statements.erase:
            raise SourceReadOnly("erase")
        self._write([(text(s), {"subject_id": subject_id}) for s in self.statements.erase])

    def _write(self, statements: list[tuple[Any, dict[str, Any]]]) -> None:
        try:
            with self.engine.begin() as connection:
                for statement, parameters in statements:
                    connection.execute(statement, parameters)
        except SQLAlchemyError as exc:
            raise StorageUnavailable(
                f"source table {self.mapping.table!r} cannot be written ({type(exc).__name__})"
            ) from exc

    def _bind_value(self, column: str, value: Any) -> Any:
        """A checked value as the column takes it (dates as dates, JSON as text)."""
        if column in self.mapping.json_columns:
            return json.dumps(value)
        kind = self.table.c[column].type
        if isinstance(value, str) and isinstance(kind, Date | DateTime):
            return date.fromisoformat(value)
        return value

    def _by_ids(self, columns: list[Any]) -> tuple[Any, Any]:
        """The id and ``columns`` of the rows with given ids: a statement for one id (the
        usual read, and no IN list to expand) and one for many."""
        id_col = self.table.c[self.mapping.id_column]
        query = select(id_col, *columns)
        return (
            query.where(id_col == bindparam("id")),
            query.where(id_col.in_(bindparam("ids", expanding=True))),
        )

    def _rows_by_ids(self, statements: tuple[Any, Any], ids: Sequence[str]) -> list[Any]:
        one, many = statements
        if len(ids) == 1:
            return self._one_raw(one, ids[0])
        return self._rows(many, {"ids": list(ids)})

    def _one_raw(self, statement: Any, ident: str) -> list[Any]:
        """The one-id read (every single-subject read runs two) on the thread's raw DB-API
        connection (``storage.raw``): compiled once, each value through its column type's
        own result processor — the rows SQLAlchemy would give, for a fraction of the CPU."""
        compiled = self._compiled.get(statement)
        if compiled is None:
            done = statement.compile(dialect=self.engine.dialect)
            processors = [
                column.type.result_processor(self.engine.dialect, None)
                for column in statement.selected_columns
            ]
            compiled = self._compiled[statement] = (str(done), processors)
        sql, processors = compiled
        raw = self._raw
        try:
            cursor = raw.cursor()
            cursor.execute(sql, (ident,) if raw.qmark else {"id": ident})
            rows = cursor.fetchall()
        except raw.errors as exc:
            raise StorageUnavailable(
                f"source table {self.mapping.table!r} cannot be read ({type(exc).__name__})"
            ) from exc
        return [
            tuple(v if f is None else f(v) for f, v in zip(processors, row, strict=True))
            for row in rows
        ]

    def _rows(self, statement: Any, parameters: dict[str, Any] | None = None) -> list[Any]:
        try:
            with self.engine.connect() as connection:
                return list(connection.execute(statement, parameters or {}))
        except SQLAlchemyError as exc:
            raise StorageUnavailable(
                f"source table {self.mapping.table!r} cannot be read ({type(exc).__name__})"
            ) from exc

    def _value(self, column: str, value: Any) -> Any:
        if column in self.mapping.json_columns and isinstance(value, str | bytes):
            return json.loads(value)
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, date):
            return value.isoformat()
        return value


def _reflect(engine: Engine, meta: MetaData, name: str, schema: str | None) -> Table:
    try:
        return Table(name, meta, autoload_with=engine, schema=schema)
    except NoSuchTableError:
        raise InvalidInput(f"source table {name!r} does not exist") from None
    except SQLAlchemyError as exc:
        raise StorageUnavailable(
            f"source table {name!r} cannot be inspected ({type(exc).__name__})"
        ) from exc


def _column(table: Table, name: str) -> Column[Any]:
    try:
        return table.c[name]
    except KeyError:
        raise InvalidInput(f"source table {table.name!r} has no column {name!r}") from None


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _chunks(ids: Sequence[str]) -> list[list[str]]:
    unique = list(dict.fromkeys(str(i) for i in ids))
    return [unique[i : i + _CHUNK] for i in range(0, len(unique), _CHUNK)]
