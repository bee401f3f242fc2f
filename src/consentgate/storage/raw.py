"""Raw reads for the hot path: a DB-API connection per thread, per engine, outside
SQLAlchemy and its pool — no checkout, no ping, no rollback, no statement compilation.

SQLAlchemy costs tens of microseconds per statement (compiling parameters, a pool checkout
with its reset, result processing), which on the read path was more than the query itself
(docs/benchmarks.md). ``raw_reads(engine)`` gives the engine's ``RawReads``: ``cursor()``
is the calling thread's own cursor on a connection of its own, opened with the engine's
own connect arguments (the same file, URL, search path). On SQLite a ``SELECT`` outside any
transaction sees the latest commit; on PostgreSQL the connection is in autocommit (each
statement one round trip). Reads only: nothing written here.

``Database.dispose`` closes them (``close_raw_reads``)."""

from __future__ import annotations

import threading
import weakref
from typing import Any

from sqlalchemy import Engine

__all__ = ["RawReads", "close_raw_reads", "raw_reads"]


class RawReads:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._local = threading.local()
        self._opened: list[Any] = []
        self._lock = threading.Lock()
        dbapi = engine.dialect.dbapi
        self.errors: type[Exception] = dbapi.Error if dbapi is not None else Exception
        self.qmark = engine.dialect.paramstyle == "qmark"

    def cursor(self) -> Any:
        """This thread's cursor (its connection is opened on first use)."""
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._local.cursor = self._open().cursor()
        return cursor

    def _open(self) -> Any:
        dialect = self._engine.dialect
        args, kwargs = dialect.create_connect_args(self._engine.url)
        if dialect.name == "sqlite":
            kwargs["check_same_thread"] = False
        connection = dialect.connect(*args, **kwargs)
        if dialect.name == "sqlite":  # wait for a writer's lock as the engine's connections do
            connection.execute("PRAGMA busy_timeout=10000")
        if dialect.name == "postgresql":
            connection.autocommit = True
            cursor = connection.cursor()
            cursor.execute("SET plan_cache_mode = force_custom_plan")  # as the engine's own
            cursor.close()
        with self._lock:
            self._opened.append(connection)
        return connection

    def __del__(self) -> None:  # an engine dropped without Database.dispose: close them too
        self.close()

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
            self._local = threading.local()
        for connection in opened:
            try:
                connection.close()
            except self.errors:
                continue


_BY_ENGINE: weakref.WeakKeyDictionary[Engine, RawReads] = weakref.WeakKeyDictionary()
_GUARD = threading.Lock()


def raw_reads(engine: Engine) -> RawReads:
    """The engine's raw reads (one per engine)."""
    with _GUARD:
        found = _BY_ENGINE.get(engine)
        if found is None:
            found = _BY_ENGINE[engine] = RawReads(engine)
        return found


def close_raw_reads(engine: Engine) -> None:
    with _GUARD:
        found = _BY_ENGINE.pop(engine, None)
    if found is not None:
        found.close()
