"""Every store in one bundle — each room's (apps, consents, operators, the ledger, the
subjects' processing states, notices) and breach's incidents and breaches — with one
transaction across them.

``with stores.transaction() as tx:`` yields the same stores bound to one connection
(``tx.apps.suspend(...)``, ``tx.incidents.add(...)``): committed together when the block
ends, rolled back together if it raises. ``stores.reading()`` binds them to one connection
for a consistent read (the gateway's decision loader). Outside either, each store call opens
its own. ``SqlStores`` does this with the database; ``MemoryStores`` (fast tests) takes a
lock and restores a snapshot of every store on error, so both honour all-or-nothing.

A store of a higher tier (rights' requests) joins the bundle's transaction with
``tx.joined(store)``: the same store bound to the bundle's connection (SQL), or as it is
(memory, once ``MemoryStores.attach``-ed so its state is restored with the rest on error).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import Connection

from consentgate.apps import AppStore, MemoryAppStore, SqlAppStore
from consentgate.breach import (
    BreachStore,
    IncidentStore,
    MemoryBreachStore,
    MemoryIncidentStore,
    SqlBreachStore,
    SqlIncidentStore,
)
from consentgate.consent import ConsentStore, MemoryConsentStore, SqlConsentStore
from consentgate.ledger import LedgerStore, MemoryLedger, SqlLedger, open_ledger
from consentgate.ledger.note import NoteSigner
from consentgate.notices import MemoryNoticeStore, NoticeStore, SqlNoticeStore
from consentgate.operators import MemoryOperatorStore, OperatorStore, SqlOperatorStore
from consentgate.settings import DEFAULT_LEDGER_ORIGIN
from consentgate.storage.database import Database, SqlStore
from consentgate.subjects import MemorySubjectStateStore, SqlSubjectStateStore, SubjectStateStore

__all__ = ["MemoryStores", "SqlStores", "Stores", "open_stores"]

T = TypeVar("T")


class Stores:
    """The bundle (use ``SqlStores`` or ``MemoryStores``)."""

    def __init__(
        self,
        *,
        apps: AppStore,
        consents: ConsentStore,
        operators: OperatorStore,
        incidents: IncidentStore,
        breaches: BreachStore,
        ledger: LedgerStore,
        subjects: SubjectStateStore,
        notices: NoticeStore,
    ) -> None:
        self.apps = apps
        self.consents = consents
        self.operators = operators
        self.incidents = incidents
        self.breaches = breaches
        self.ledger = ledger
        self.subjects = subjects
        self.notices = notices

    def transaction(self) -> AbstractContextManager[Stores]:
        """The same stores, every write in one transaction (nested: the same one)."""
        raise NotImplementedError

    def reading(self) -> AbstractContextManager[Stores]:
        """The same stores, reading on one connection."""
        raise NotImplementedError

    def joined(self, store: T) -> T:
        """``store`` (of a higher tier) working in this bundle's transaction or connection."""
        return store


class SqlStores(Stores):
    def __init__(
        self,
        db: Database,
        *,
        apps: SqlAppStore,
        consents: SqlConsentStore,
        operators: SqlOperatorStore,
        incidents: SqlIncidentStore,
        breaches: SqlBreachStore,
        ledger: SqlLedger,
        subjects: SqlSubjectStateStore,
        notices: SqlNoticeStore,
        connection: Connection | None = None,
    ) -> None:
        super().__init__(
            apps=apps,
            consents=consents,
            operators=operators,
            incidents=incidents,
            breaches=breaches,
            ledger=ledger,
            subjects=subjects,
            notices=notices,
        )
        self.db = db
        self._sql = (apps, consents, operators, incidents, breaches, ledger, subjects, notices)
        self._connection = connection
        self._bound = connection is not None

    @contextmanager
    def transaction(self) -> Iterator[Stores]:
        if self._bound:
            yield self
            return
        with self.db.begin() as connection:
            yield self._bind(connection)

    @contextmanager
    def reading(self) -> Iterator[Stores]:
        if self._bound:
            yield self
            return
        with self.db.connect() as connection:
            yield self._bind(connection)

    def joined(self, store: T) -> T:
        if self._connection is not None and isinstance(store, SqlStore):
            return store.bound(self._connection)
        return store

    def _bind(self, connection: Connection) -> SqlStores:
        apps, consents, operators, incidents, breaches, ledger, subjects, notices = self._sql
        return SqlStores(
            self.db,
            apps=apps.bound(connection),
            consents=consents.bound(connection),
            operators=operators.bound(connection),
            incidents=incidents.bound(connection),
            breaches=breaches.bound(connection),
            ledger=ledger.bound(connection),
            subjects=subjects.bound(connection),
            notices=notices.bound(connection),
            connection=connection,
        )


class _Snapshots(Protocol):
    def snapshot(self) -> Any: ...

    def restore(self, state: Any) -> None: ...


class MemoryStores(Stores):
    """Every store in memory behind one re-entrant lock."""

    def __init__(self, *, ledger_signer: NoteSigner | None = None) -> None:
        self._lock = threading.RLock()
        signer = ledger_signer or NoteSigner(DEFAULT_LEDGER_ORIGIN, Ed25519PrivateKey.generate())
        self._parts: tuple[_Snapshots, ...] = (
            apps := MemoryAppStore(lock=self._lock),
            consents := MemoryConsentStore(lock=self._lock),
            operators := MemoryOperatorStore(lock=self._lock),
            incidents := MemoryIncidentStore(lock=self._lock),
            breaches := MemoryBreachStore(lock=self._lock),
            ledger := MemoryLedger(signer, lock=self._lock),
            subjects := MemorySubjectStateStore(lock=self._lock),
            notices := MemoryNoticeStore(lock=self._lock),
        )
        super().__init__(
            apps=apps,
            consents=consents,
            operators=operators,
            incidents=incidents,
            breaches=breaches,
            ledger=ledger,
            subjects=subjects,
            notices=notices,
        )

    @property
    def lock(self) -> threading.RLock:
        """The one lock every memory store of the bundle shares."""
        return self._lock

    def attach(self, part: _Snapshots) -> None:
        """Take ``part`` (a memory store of a higher tier, on ``lock``) into every
        transaction's snapshot, so an error restores it with the rest."""
        with self._lock:
            self._parts = (*self._parts, part)

    @contextmanager
    def transaction(self) -> Iterator[Stores]:
        with self._lock:
            saved = [part.snapshot() for part in self._parts]
            try:
                yield self
            except BaseException:
                for part, state in zip(self._parts, saved, strict=True):
                    part.restore(state)
                raise

    @contextmanager
    def reading(self) -> Iterator[Stores]:
        with self._lock:
            yield self


def open_stores(db: Database, *, ledger_origin: str = DEFAULT_LEDGER_ORIGIN) -> SqlStores:
    """Every store of this database (the ledger signing with its checkpoint key)."""
    return SqlStores(
        db,
        apps=SqlAppStore(db),
        consents=SqlConsentStore(db),
        operators=SqlOperatorStore(db),
        incidents=SqlIncidentStore(db),
        breaches=SqlBreachStore(db),
        ledger=open_ledger(db, origin=ledger_origin),
        subjects=SqlSubjectStateStore(db),
        notices=SqlNoticeStore(db),
    )
