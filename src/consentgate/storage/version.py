"""The decision version (table ``decision_version``, migration 0010): a counter the
database's own triggers bump in the same transaction as every change to ``apps``,
``consents`` or ``subject_states``. ``VersionReader`` reads it in one primary-key query on
the calling thread's raw connection (``storage.raw``: no SQLAlchemy, no pool; on
PostgreSQL one round trip in autocommit).

What it is for: a process may hold decision state in memory and, per read, learn in this
one query whether anything it holds may have changed since (``gateway/hot.py``)."""

from __future__ import annotations

from consentgate.errors import StorageUnavailable
from consentgate.storage.database import Database
from consentgate.storage.raw import raw_reads

__all__ = ["VersionReader"]

_READ = "SELECT version FROM decision_version WHERE id = 1"


class VersionReader:
    """``reader()`` → the current decision version (thread-safe)."""

    def __init__(self, db: Database) -> None:
        self._raw = raw_reads(db.engine)

    def __call__(self) -> int:
        try:
            cursor = self._raw.cursor()
            cursor.execute(_READ)
            row = cursor.fetchone()
        except self._raw.errors as exc:
            raise StorageUnavailable(
                f"the decision version cannot be read ({type(exc).__name__})"
            ) from exc
        if row is None:
            raise StorageUnavailable("decision_version has no row: migrate the database")
        return int(row[0])
