"""Storage: engines, the schema and its migrations."""

from consentgate.storage.engine import is_sqlite, make_engine, migrate, schema_revision
from consentgate.storage.tables import metadata

__all__ = ["is_sqlite", "make_engine", "metadata", "migrate", "schema_revision"]
