"""Secrets at rest: seal every private key and server secret an earlier version stored in
the clear (the migration of issue 11, run on every open; it finds nothing once done). An
Alembic revision cannot do it: the master key is kept out of the database and its config.
On SQLite the rewritten rows' old bytes are overwritten too (``secure_delete`` for the
rewrite, then a checkpoint that truncates the WAL), so no plain PEM is left in the files."""

from __future__ import annotations

from consentgate.storage.database import Database
from consentgate.storage.keys import seal_plain_keys
from consentgate.storage.secrets import seal_plain_secrets

__all__ = ["seal_at_rest"]


def seal_at_rest(db: Database) -> int:
    """Seal what is stored plain; how many keys and secrets were."""
    with db.begin() as connection:
        if db.is_sqlite:
            connection.exec_driver_sql("PRAGMA secure_delete=ON")
        try:
            sealed = seal_plain_keys(db, connection) + seal_plain_secrets(db, connection)
        finally:
            if db.is_sqlite:
                connection.exec_driver_sql("PRAGMA secure_delete=OFF")
    if sealed and db.is_sqlite:
        with db.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return sealed
