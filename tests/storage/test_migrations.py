"""Storage on SQLite and PostgreSQL: migrations apply, are idempotent, and match the tables."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from consentgate.storage import make_engine, metadata, migrate, schema_revision


def test_migrations_create_exactly_the_declared_schema(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_migrate_is_idempotent(engine: Engine) -> None:
    before = schema_revision(engine)
    migrate(engine)
    assert schema_revision(engine) == before == "0011"
    assert set(metadata.tables) <= set(inspect(engine).get_table_names())


def test_a_fresh_sqlite_file_is_created_in_wal_mode(tmp_path) -> None:  # type: ignore[no-untyped-def]
    fresh = make_engine(f"sqlite:///{tmp_path / 'nested' / 'dir' / 'cg.db'}")
    assert schema_revision(fresh) is None
    migrate(fresh)
    with fresh.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    fresh.dispose()
