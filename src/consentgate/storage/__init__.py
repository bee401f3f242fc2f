"""Storage (core): engines, the ``Database`` and ``SqlStore`` base every room's SQL store
builds on, the schema (``tables``; each table is read and written by its owning room only)
and its migrations, and the rows the core itself owns: signing keys and server secrets."""

from consentgate.storage.database import Database, SqlStore
from consentgate.storage.engine import is_sqlite, make_engine, migrate, schema_revision
from consentgate.storage.tables import metadata

__all__ = [
    "Database",
    "SqlStore",
    "is_sqlite",
    "make_engine",
    "metadata",
    "migrate",
    "schema_revision",
]
