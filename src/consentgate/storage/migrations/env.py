"""Alembic environment: runs on the connection ``storage.migrate`` hands over (batch mode so
SQLite can alter tables)."""

from __future__ import annotations

from alembic import context

from consentgate.storage.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - the library always passes a connection
    raise RuntimeError("run migrations through consentgate.storage.migrate(engine)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
