"""Engines and migrations: SQLite (WAL) by default, PostgreSQL through a URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from consentgate.errors import InvalidInput, StorageUnavailable

__all__ = [
    "MIGRATIONS_DIR",
    "display_url",
    "is_sqlite",
    "make_engine",
    "migrate",
    "schema_revision",
    "sqlite_path",
]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def sqlite_path(url: str) -> Path | None:
    """The absolute path of a SQLite database file, or None (another database, memory)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        return None
    return Path(database).expanduser().resolve()


def display_url(url: str) -> str:
    """``url`` for messages: a SQLite file's path made absolute, any password hidden."""
    path = sqlite_path(url)
    if path is not None:
        return f"sqlite:///{path}"
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a URL)"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``. SQLite files get WAL, ``synchronous=FULL`` (durable commits),
    foreign keys and a busy timeout; the parent directory is created when missing."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InvalidInput(
            "the database URL is not a URL: use sqlite:///path.db or "
            "postgresql+psycopg://user@host/db (CONSENTGATE_DATABASE_URL)"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        # enough pooled connections for every worker thread: a connection opened per request
        # pays for the file, the WAL index and four pragmas
        kwargs.setdefault("pool_size", 48)
        kwargs.setdefault("max_overflow", 16)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql":
        engine = create_engine(url, pool_pre_ping=True, **kwargs)
        event.listen(engine, "connect", _postgres_session)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _postgres_session(dbapi_connection: Any, _record: Any) -> None:
    """Plan every statement for its own parameters. psycopg prepares a statement on its
    fifth run, and PostgreSQL may then keep a generic plan made while the table was small:
    the ledger's key lookup got a sequential scan that way, read on every batch as the key
    table grew (4 million rows read for 30,000 appends, until an ANALYZE). Statements stay
    prepared (parsed once); only the plan is made afresh."""
    cursor = dbapi_connection.cursor()
    cursor.execute("SET plan_cache_mode = force_custom_plan")
    cursor.close()
    dbapi_connection.commit()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (idempotent)."""
    config = _alembic_config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    except SQLAlchemyError as exc:
        raise StorageUnavailable(
            f"cannot migrate the database ({type(exc).__name__}): check CONSENTGATE_DATABASE_URL"
        ) from exc


def schema_revision(engine: Engine) -> str | None:
    """The applied migration revision, or None for an empty database."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        row = connection.exec_driver_sql("SELECT version_num FROM alembic_version").first()
        return None if row is None else str(row[0])
