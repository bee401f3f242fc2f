"""Writes at the source (rights requests) on SQLite and PostgreSQL: a mapped table corrected
through the configured ``rectify`` statement (dates bound as dates) and erased through the
``erase`` statements, all or nothing; a source without them says so and refuses; a mapping
file's ``[write]`` table is checked when loaded."""

from __future__ import annotations

import secrets
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Column, Date, Engine, MetaData, String, Table, insert

from consentgate.catalog import Catalog
from consentgate.errors import SourceInvalid, SourceReadOnly, StorageUnavailable
from consentgate.sources import (
    READ_ONLY,
    SourceWrites,
    SqlMapping,
    SqlSource,
    SqlWrites,
    load_mapping,
    writes_of,
)
from consentgate.sources.synthetic import PlatformSource


@pytest.fixture
def people(engine: Engine) -> tuple[str, Table]:
    name = f"people_{secrets.token_hex(4)}"
    table = Table(
        name,
        MetaData(),
        Column("pid", String(16), primary_key=True),
        Column("full_name", String(100)),
        Column("born", Date),
        Column("cc", String(2)),
    )
    table.create(engine)
    with engine.begin() as connection:
        connection.execute(
            insert(table),
            [
                {"pid": "a", "full_name": "Ada", "born": date(1980, 2, 2), "cc": "IE"},
                {"pid": "b", "full_name": "Bo", "born": date(1985, 3, 3), "cc": "NO"},
            ],
        )
    return name, table


def _mapping(name: str) -> SqlMapping:
    return SqlMapping(
        table=name,
        id_column="pid",
        columns={"name": "full_name", "birthday": "born", "country": "cc"},
        country_column="cc",
        birth_date_column="born",
    )


def test_configured_statements_rectify_and_erase(
    engine: Engine, catalog: Catalog, people: tuple[str, Table]
) -> None:
    name, table = people
    statements = SqlWrites(
        rectify=f"UPDATE {name} SET {{column}} = :value WHERE pid = :subject_id",
        erase=(f"DELETE FROM {name} WHERE pid = :subject_id",),
    )
    source = SqlSource(engine, _mapping(name), catalog=catalog, statements=statements)
    assert writes_of(source) == SourceWrites(rectify=True, erase=True)
    source.rectify("a", {"name": "Ada L.", "birthday": "1981-12-10"})
    assert source.fetch(["a"], ["name", "birthday"])["a"] == {
        "name": "Ada L.",
        "birthday": "1981-12-10",
    }
    source.erase("a")
    source.erase("a")  # idempotent
    assert source.attributes(["a", "b"]).keys() == {"b"}
    table.drop(engine)


def test_a_failing_statement_changes_nothing(
    engine: Engine, catalog: Catalog, people: tuple[str, Table]
) -> None:
    name, table = people
    statements = SqlWrites(
        erase=(
            f"DELETE FROM {name} WHERE pid = :subject_id",
            "DELETE FROM no_such_table WHERE id = :subject_id",
        )
    )
    source = SqlSource(engine, _mapping(name), catalog=catalog, statements=statements)
    with pytest.raises(StorageUnavailable):
        source.erase("b")
    assert "b" in source.attributes(["b"])  # the first statement was rolled back
    table.drop(engine)


def test_a_source_without_statements_refuses(
    engine: Engine, catalog: Catalog, people: tuple[str, Table], source: PlatformSource
) -> None:
    name, table = people
    plain = SqlSource(engine, _mapping(name), catalog=catalog)
    assert writes_of(plain) == READ_ONLY
    with pytest.raises(SourceReadOnly):
        plain.rectify("a", {"name": "X"})
    with pytest.raises(SourceReadOnly):
        plain.erase("a")
    assert writes_of(source) == SourceWrites(rectify=True, erase=True)  # the demo platform
    table.drop(engine)


BASE = """
format = 1
table = "people"
id_column = "pid"
country_column = "cc"
birth_date_column = "born"
[columns]
name = "full_name"
"""


@pytest.mark.parametrize(
    ("write", "entry"),
    [
        (
            '[write]\nrectify = "UPDATE people SET full_name = :value WHERE pid = :subject_id"',
            "write",
        ),
        ('[write]\nerase = ["DELETE FROM people"]', "write"),
        ('[write]\nerase = "DELETE FROM people WHERE pid = :subject_id"', "write.erase"),
        ("[write]\ntruncate = true", "write.truncate"),
    ],
)
def test_the_write_table_is_checked_when_loaded(tmp_path: Path, write: str, entry: str) -> None:
    path = tmp_path / "source.toml"
    path.write_text(BASE + write + "\n")
    with pytest.raises(SourceInvalid) as raised:
        load_mapping(path)
    assert raised.value.entry == entry


def test_a_write_table_loads(tmp_path: Path) -> None:
    path = tmp_path / "source.toml"
    path.write_text(
        BASE
        + '[write]\nrectify = "UPDATE people SET {column} = :value WHERE pid = :subject_id"\n'
        + 'erase = ["DELETE FROM people WHERE pid = :subject_id"]\n'
    )
    config = load_mapping(path)
    assert config.statements.erase == ("DELETE FROM people WHERE pid = :subject_id",)
    assert config.statements.rectify is not None
