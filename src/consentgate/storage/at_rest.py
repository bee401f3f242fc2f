"""Secrets at rest: seal every private key and server secret an earlier version stored in
the clear (the migration of issue 11, run on every open; it finds nothing once done). An
Alembic revision cannot do it: the master key is kept out of the database and its config.
On SQLite the rewritten rows' old bytes are overwritten too (``secure_delete`` for the
rewrite, then a checkpoint that truncates the WAL), so no plain PEM is left in the files.
``reseal_at_rest`` rotates the master key: everything sealed afresh under a new one, in one
transaction."""

from __future__ import annotations

from consentgate.storage.database import Database
from consentgate.storage.keys import reseal_keys, seal_plain_keys
from consentgate.storage.master import MasterKey
from consentgate.storage.secrets import reseal_secrets, seal_plain_secrets

__all__ = ["reseal_at_rest", "seal_at_rest"]


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


def reseal_at_rest(db: Database, new: MasterKey) -> int:
    """Seal every key and secret under ``new`` instead of the current master key (one
    transaction: all or none), then use ``new``; how many were sealed."""
    with db.begin() as connection:
        if db.is_sqlite:
            connection.exec_driver_sql("PRAGMA secure_delete=ON")
        try:
            sealed = reseal_keys(db, connection, new) + reseal_secrets(db, connection, new)
        finally:
            if db.is_sqlite:
                connection.exec_driver_sql("PRAGMA secure_delete=OFF")
    db.use_master(new)
    return sealed
