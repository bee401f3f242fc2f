"""The ``Database`` — one engine and the two ways a store uses it (a read on a pooled
connection, a write in a transaction) — and ``SqlStore``, the base of every room's SQL
store: each call runs on a connection of its own, or, once ``bound(connection)``, inside the
caller's transaction. That is how ``Stores.transaction()`` makes several rooms' writes one.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Self

from sqlalchemy import Engine
from sqlalchemy.engine import Connection, make_url

from consentgate.errors import DatabaseMissing
from consentgate.storage.engine import (
    is_sqlite,
    make_engine,
    migrate,
    schema_revision,
    sqlite_path,
)
from consentgate.storage.master import MasterKey, load_master_key, private_file
from consentgate.storage.raw import close_raw_reads

__all__ = ["Database", "SqlStore"]


class Database:
    """An engine with the schema migrated (``open``) or as given (``Database(engine)``), and
    the master key its stored secrets are sealed under (``master``: the one given, else
    from the environment on first use — ``storage.master``)."""

    def __init__(self, engine: Engine, *, master: MasterKey | None = None) -> None:
        self.engine = engine
        self._master = master

    @property
    def master(self) -> MasterKey:
        if self._master is None:
            from consentgate.settings import StorageSettings, load_settings

            settings = load_settings(StorageSettings)
            secret = settings.master_key
            self._master = load_master_key(
                database_url=str(self.engine.url),  # only a SQLite file's path is read
                secret=None if secret is None else secret.get_secret_value(),
                key_file=settings.master_key_file,
            )
        return self._master

    def use_master(self, master: MasterKey) -> None:
        """Seal and open this database's secrets under ``master`` (the configured key)."""
        self._master = master

    @classmethod
    def open(cls, url: str, *, create: bool = True) -> Database:
        """The database at ``url``, migrated to the current schema; a SQLite file and its
        ``-wal`` and ``-shm`` are made mode 0600 (created so, or changed). With
        ``create=False`` a missing SQLite file, or a database without consentgate's
        schema, is refused (``DatabaseMissing``) instead of created: a command run from
        another folder must not silently start an empty database."""
        if not create:
            _refuse_a_missing_file(url)
        _private_sqlite_files(url)
        engine = make_engine(url)
        if not create and schema_revision(engine) is None:
            engine.dispose()
            raise DatabaseMissing(
                f"{_shown(url)} holds no consentgate database: run `consentgate init` there "
                "first, or set CONSENTGATE_DATABASE_URL to the one you mean"
            )
        migrate(engine)
        return cls(engine)

    @classmethod
    def open_existing(cls, url: str) -> Database:
        """A database someone else owns (a platform's, for a ``SqlSource``): never migrated."""
        return cls(make_engine(url))

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.engine)

    def connect(self) -> AbstractContextManager[Connection]:
        """A pooled connection for reads (what it reads is one snapshot on PostgreSQL)."""
        return self.engine.connect()

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A connection in a transaction, committed when the block ends without error.

        On SQLite the transaction takes the database's write lock first (``BEGIN
        IMMEDIATE``): the driver would otherwise begin it only at the first INSERT, so what a
        write read before that (the ledger's next index, say) was read outside it, and two
        server processes could both read the same value. SQLite has one writer at a time
        anyway; this makes the wait happen up front (``busy_timeout``), where it cannot fail
        a half-done transaction."""
        with self.engine.begin() as connection:
            if self.is_sqlite:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            yield connection

    def schema_revision(self) -> str | None:
        return schema_revision(self.engine)

    def display_url(self) -> str:
        """The URL with any password hidden (for messages and ``consentgate init``)."""
        return make_url(str(self.engine.url)).render_as_string(hide_password=True)

    def dispose(self) -> None:
        close_raw_reads(self.engine)
        self.engine.dispose()


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _private_sqlite_files(url: str) -> None:
    """A SQLite database file created 0600 (SQLite gives its ``-wal`` and ``-shm`` the
    database file's mode), and any that exist already made 0600."""
    path = sqlite_path(url)
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    private_file(path)
    for suffix in ("-wal", "-shm", "-journal"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            private_file(companion)


def _refuse_a_missing_file(url: str) -> None:
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise DatabaseMissing(
            f"no database at {path}: run `consentgate init` (or `serve`) to create one, or "
            "set CONSENTGATE_DATABASE_URL to the one you mean"
        )


class SqlStore:
    """A room's SQL store: unbound, each call opens its own connection (a read) or
    transaction (a write); ``bound(connection)`` is the same store working inside the
    caller's transaction, committed or rolled back with it."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._connection: Connection | None = None

    def bound(self, connection: Connection) -> Self:
        twin = copy.copy(self)
        twin._connection = connection
        return twin

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        if self._connection is not None:
            yield self._connection
            return
        with self.db.connect() as connection:
            yield connection

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        if self._connection is not None:
            yield self._connection
            return
        with self.db.begin() as connection:
            yield connection
