"""The ledger in SQL (``SqlLedger``, tables ``subject_keys``, ``ledger_leaves``,
``ledger_nodes``, ``ledger_checkpoints``): append leaves (one transaction per batch),
integrate them into the persisted tree, sign checkpoints, answer proofs against a published
checkpoint, and the ``LedgerStore`` questions about people (``ledger.protocol``).

``append`` is called by one writer per process (the group-commit thread, or an
orchestration's transaction), in any number of processes: each ledger write holds a lock
across processes for its whole transaction (``_lock_ledger``). It numbers leaves densely,
keys each subject's pseudonym (a random key per subject, created on first disclosure) and
links each leaf to the subject's previous one. ``integrate`` extends the stored perfect
subtrees for the leaves since the last checkpoint and signs a new checkpoint. Proofs read
O(log n) node rows, fetched in one statement, and are made only for sizes that a checkpoint
published.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import bindparam, delete, func, insert, select
from sqlalchemy.engine import Connection

from consentgate.clock import from_micros, to_micros, utc_now
from consentgate.errors import LedgerDamaged, ProofError
from consentgate.ledger import reports
from consentgate.ledger.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from consentgate.ledger.leaves import Entry, encode_batch, pseudonym
from consentgate.ledger.merkle import (
    EMPTY_ROOT,
    NodeReader,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    range_proof,
    subtree_hash,
)
from consentgate.ledger.note import NoteSigner, NoteVerifier, key_hash
from consentgate.ledger.protocol import Disclosures, Recipient, Scope, StoredLeaf, Usage
from consentgate.storage.database import Database, SqlStore
from consentgate.storage.keys import ed25519_key, public_pem
from consentgate.storage.tables import (
    ledger_checkpoints,
    ledger_leaves,
    ledger_nodes,
    subject_keys,
)

__all__ = ["CHECKPOINT_KEY_USE", "Entry", "SqlLedger", "open_ledger", "stored_verifier"]

CHECKPOINT_KEY_USE = "ledger-checkpoint"


def stored_verifier(db: Database, *, origin: str) -> NoteVerifier | None:
    """The checkpoint verifier of this database's ledger key, without creating one."""
    pem = public_pem(db, CHECKPOINT_KEY_USE)
    if pem is None:
        return None
    public = serialization.load_pem_public_key(pem.encode())
    if not isinstance(public, Ed25519PublicKey):
        raise TypeError("the stored ledger key is not an Ed25519 key")
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return NoteVerifier(origin, key_hash(origin, raw), public)


def open_ledger(db: Database, *, origin: str) -> SqlLedger:
    """The ledger of this database, signing with its checkpoint key (created on first use).
    The origin is fixed once checkpoints exist: it is the key name they are signed under."""
    _, key = ed25519_key(db, CHECKPOINT_KEY_USE, prefix="lk_")
    return SqlLedger(db, NoteSigner(origin, key))


_KEY_OF = select(subject_keys.c.pseudonym_key, subject_keys.c.head).where(
    subject_keys.c.subject_id == bindparam("subject_id")
)
_NODE = select(ledger_nodes.c.hash).where(
    ledger_nodes.c.level == bindparam("level"), ledger_nodes.c.idx == bindparam("idx")
)


# the statements that run per leaf or per node go straight to the driver's executemany
# (building SQLAlchemy parameters per row cost as much as writing them); written with ``?``
# and turned into the driver's own style by ``_driver_sql``
_INSERT_LEAVES = (
    "INSERT INTO ledger_leaves (idx, data, pseudonym, app_id, at_us) VALUES (?, ?, ?, ?, ?)"
)
_SET_HEADS = "UPDATE subject_keys SET head = ? WHERE subject_id = ?"
_INSERT_KEYS = (
    "INSERT INTO subject_keys (subject_id, pseudonym_key, head, created_us) VALUES (?, ?, ?, ?)"
)
_INSERT_NODES = "INSERT INTO ledger_nodes (level, idx, hash) VALUES (?, ?, ?)"


# Any number of server processes append and integrate. On PostgreSQL an append first takes
# a transaction-scoped advisory lock (held until commit or rollback), so the next index, the
# subject keys and the chain heads it reads are the committed ones and no other append can
# slip in between; integrations take another, so two never write the same nodes, while
# appends go on beside them (an integration is bounded by the size it read). On SQLite every
# write transaction holds the database's one write lock from its start (``Database.begin``).
# Fixed, arbitrary keys naming "the ledger's appends" and "its integration".
_APPEND_LOCK = 0x636F6E73656E74  # "consent"
_INTEGRATION_LOCK = _APPEND_LOCK + 1


def _lock_ledger(connection: Connection, key: int = _APPEND_LOCK) -> None:
    """Serialise one kind of ledger write across processes (PostgreSQL; on SQLite the write
    lock is held already)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({key})")


def _driver_sql(connection: Connection, statement: str) -> str:
    """``statement``, written with ``?`` placeholders, in the driver's parameter style
    (sqlite3: qmark; psycopg: format). The statements here hold no other ``?`` or ``%``."""
    return statement if connection.dialect.paramstyle == "qmark" else statement.replace("?", "%s")


class SqlLedger(SqlStore):
    def __init__(self, db: Database, signer: NoteSigner) -> None:
        super().__init__(db)
        self.signer = signer

    @property
    def verifier(self) -> NoteVerifier:
        return self.signer.verifier

    # -- writing ---------------------------------------------------------------------

    def append(self, entries: Sequence[Entry]) -> list[int]:
        """Write ``entries`` as leaves (inside the transaction the store is bound to, or one
        of its own); returns their indices. A batch costs a handful of statements, not one
        per leaf."""
        if not entries:
            return []
        with self._writing() as connection:
            _lock_ledger(connection)
            next_index = self._size(connection)
            subjects = list(dict.fromkeys(entry.subject_id for entry in entries))
            keys, heads = self._known_keys(connection, subjects)
            batch = encode_batch(entries, next_index=next_index, keys=keys, heads=heads)
            # straight to the driver's executemany: these run for every leaf, and building
            # SQLAlchemy parameters per row cost as much as writing them. A new subject's
            # key row is written with its chain head already in place; known ones move it.
            connection.exec_driver_sql(_driver_sql(connection, _INSERT_LEAVES), batch.rows)
            if batch.fresh:
                created = to_micros(utc_now())
                connection.exec_driver_sql(
                    _driver_sql(connection, _INSERT_KEYS),
                    [(s, k, batch.heads[s], created) for s, k in batch.fresh.items()],
                )
            known = [(batch.heads[s], s) for s in subjects if s not in batch.fresh]
            if known:
                connection.exec_driver_sql(_driver_sql(connection, _SET_HEADS), known)
        return list(range(next_index, next_index + len(entries)))

    def integrate(self, *, now: datetime | None = None) -> Checkpoint:
        """Extend the tree over every appended leaf and sign a checkpoint of its size (the
        empty log publishes size 0 with the root SHA-256(""))."""
        with self._writing() as connection:
            _lock_ledger(connection, _INTEGRATION_LOCK)
            latest = self._latest(connection)
            old = latest.size if latest is not None else 0
            size = self._size(connection)
            if latest is not None and size == old:
                return latest
            fresh: dict[tuple[int, int], bytes] = {}
            self._drop_scratch(connection, old)
            # bounded by ``size``: leaves appended meanwhile belong to the next round
            leaves = connection.execute(
                select(ledger_leaves.c.idx, ledger_leaves.c.data)
                .where(ledger_leaves.c.idx >= old, ledger_leaves.c.idx < size)
                .order_by(ledger_leaves.c.idx)
            )
            for index, data in leaves:
                fresh[(0, index)] = leaf_hash(bytes(data))
            level = 1
            while size >> level:  # the perfect subtrees completed since the last checkpoint
                for j in range(old >> level, size >> level):
                    left = self._node(connection, fresh, level - 1, 2 * j)
                    right = self._node(connection, fresh, level - 1, 2 * j + 1)
                    fresh[(level, j)] = node_hash(left, right)
                level += 1
            if fresh:
                connection.exec_driver_sql(
                    _driver_sql(connection, _INSERT_NODES),
                    [(lv, ix, h) for (lv, ix), h in fresh.items()],
                )
            root = (
                EMPTY_ROOT
                if size == 0
                else subtree_hash(lambda lv, ix: self._node(connection, fresh, lv, ix), 0, size)
            )
            checkpoint = Checkpoint(self.signer.name, size, root)
            connection.execute(
                insert(ledger_checkpoints),
                [
                    {
                        "size": size,
                        "note": sign_checkpoint(checkpoint, self.signer),
                        "at_us": to_micros(now or utc_now()),
                    }
                ],
            )
            return checkpoint

    def shred(self, subject_id: str) -> bool:
        """Destroy the subject's pseudonym key: their leaves become unlinkable to them, and
        every proof still verifies. (``rights.erasure.shred_subject`` first appends an
        erasure leaf and has the other rooms erase the rows that would link them back.)"""
        statement = subject_keys.delete().where(subject_keys.c.subject_id == subject_id)
        with self._writing() as connection:
            return bool(connection.execute(statement).rowcount)

    # -- reading ---------------------------------------------------------------------

    def latest_note(self) -> str | None:
        with self._reading() as connection:
            return self._latest_note(connection)

    def checkpoint(self) -> Checkpoint | None:
        with self._reading() as connection:
            return self._latest(connection)

    def checkpoint_signed_at(self) -> datetime | None:
        with self._reading() as connection:
            at_us = connection.execute(
                select(ledger_checkpoints.c.at_us)
                .order_by(ledger_checkpoints.c.size.desc())
                .limit(1)
            ).scalar_one_or_none()
        return None if at_us is None else from_micros(int(at_us))

    def checkpoint_before(self, at_us: int) -> Checkpoint | None:
        with self._reading() as connection:
            note = connection.execute(
                select(ledger_checkpoints.c.note)
                .where(ledger_checkpoints.c.at_us <= at_us)
                .order_by(ledger_checkpoints.c.size.desc())
                .limit(1)
            ).scalar_one_or_none()
        return None if note is None else open_checkpoint(note, self.verifier)

    def checkpoint_of(self, size: int) -> Checkpoint | None:
        with self._reading() as connection:
            note = connection.execute(
                select(ledger_checkpoints.c.note).where(ledger_checkpoints.c.size == size)
            ).scalar_one_or_none()
        return None if note is None else open_checkpoint(note, self.verifier)

    def app_leaves(self, app_ids: Sequence[str], *, end: int) -> list[tuple[int, bytes]]:
        if not app_ids:
            return []
        found: list[tuple[int, bytes]] = []
        with self._reading() as connection:
            for start in range(0, len(app_ids), 500):
                rows = connection.execute(
                    select(ledger_leaves.c.idx, ledger_leaves.c.data).where(
                        ledger_leaves.c.app_id.in_(list(app_ids[start : start + 500])),
                        ledger_leaves.c.idx < end,
                    )
                )
                found.extend((int(i), bytes(d)) for i, d in rows)
        return sorted(found)

    def leaves(self, start: int, end: int) -> list[tuple[int, bytes]]:
        with self._reading() as connection:
            rows = connection.execute(
                select(ledger_leaves.c.idx, ledger_leaves.c.data)
                .where(ledger_leaves.c.idx >= start, ledger_leaves.c.idx < end)
                .order_by(ledger_leaves.c.idx)
            )
            return [(int(i), bytes(d)) for i, d in rows]

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        with self._reading() as connection:
            self._published(connection, size)
            return self._prefetched(connection, lambda read: inclusion_proof(read, index, size))

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        with self._reading() as connection:
            self._published(connection, second)
            return self._prefetched(connection, lambda read: consistency_proof(read, first, second))

    def range_proof(self, start: int, end: int, size: int) -> list[bytes]:
        with self._reading() as connection:
            self._published(connection, size)
            return self._prefetched(connection, lambda read: range_proof(read, start, end, size))

    @staticmethod
    def _prefetched(
        connection: Connection, build: Callable[[NodeReader], list[bytes]]
    ) -> list[bytes]:
        """Run ``build`` once to learn which nodes it reads (which nodes a proof needs does
        not depend on their values), fetch them in one query, then build for real."""
        needed: set[tuple[int, int]] = set()

        def record(level: int, index: int) -> bytes:
            needed.add((level, index))
            return b"\x00" * 32

        build(record)
        return build(_reader(_fetch_nodes(connection, needed)))

    def disclosures_of(
        self, subject_id: str, *, after: int | None = None, limit: int | None = None
    ) -> Disclosures:
        """The subject's leaves (after index ``after``, at most ``limit``) with inclusion
        proofs against the latest checkpoint, and their chain head — one connection, the
        proofs' nodes in one fetch."""
        with self._reading() as connection:
            note = self._latest_note(connection)
            row = connection.execute(_KEY_OF, {"subject_id": subject_id}).first()
            if row is None:
                return Disclosures((), None, note)
            mine = pseudonym(bytes(row.pseudonym_key), subject_id)
            query = (
                select(ledger_leaves.c.idx, ledger_leaves.c.data)
                .where(ledger_leaves.c.pseudonym == mine)
                .order_by(ledger_leaves.c.idx)
            )
            if after is not None:
                query = query.where(ledger_leaves.c.idx > after)
            if limit is not None:
                query = query.limit(limit)
            leaves = [(int(i), bytes(d)) for i, d in connection.execute(query)]
            size = None if note is None else open_checkpoint(note, self.verifier).size
            covered = [i for i, _ in leaves if size is not None and i < size]
            nodes = _fetch_nodes(connection, reports.needed_nodes(covered, size or 0))
        items = reports.disclosures(leaves, size=size, read=_reader(nodes))
        head = None if row.head is None else int(row.head)
        return Disclosures(tuple(items), head, note)

    def recipients_of(self, subject_id: str) -> list[Recipient]:
        with self._reading() as connection:
            row = connection.execute(_KEY_OF, {"subject_id": subject_id}).first()
            if row is None:
                return []
            mine = pseudonym(bytes(row.pseudonym_key), subject_id)
            data = connection.execute(
                select(ledger_leaves.c.data)
                .where(ledger_leaves.c.pseudonym == mine)
                .order_by(ledger_leaves.c.idx)
            ).scalars()
            return reports.recipients(bytes(d) for d in data)

    def scope(self, app_id: str, start_us: int, end_us: int) -> Scope:
        """The app's leaves with ``start_us <= at < end_us``; the people are found through
        the subject keys whose chain reaches into that range (a shredded one has none)."""
        with self._reading() as connection:
            rows = connection.execute(
                select(ledger_leaves.c.idx, ledger_leaves.c.data, ledger_leaves.c.at_us)
                .where(
                    ledger_leaves.c.app_id == app_id,
                    ledger_leaves.c.at_us >= start_us,
                    ledger_leaves.c.at_us < end_us,
                )
                .order_by(ledger_leaves.c.idx)
            ).all()
            first = rows[0].idx if rows else 0
            return reports.scope(
                app_id,
                start_us,
                end_us,
                ((bytes(r.data), int(r.at_us)) for r in rows),
                lambda wanted: self._link(connection, wanted, first),
            )

    def rows(
        self,
        start: int,
        end: int | None = None,
        *,
        app_id: str | None = None,
        start_us: int | None = None,
        end_us: int | None = None,
    ) -> list[StoredLeaf]:
        query = (
            select(ledger_leaves.c.idx, ledger_leaves.c.data, ledger_leaves.c.at_us)
            .where(ledger_leaves.c.idx >= start)
            .order_by(ledger_leaves.c.idx)
        )
        if end is not None:
            query = query.where(ledger_leaves.c.idx < end)
        if app_id is not None:
            query = query.where(ledger_leaves.c.app_id == app_id)
        if start_us is not None:
            query = query.where(ledger_leaves.c.at_us >= start_us)
        if end_us is not None:
            query = query.where(ledger_leaves.c.at_us < end_us)
        with self._reading() as connection:
            return [StoredLeaf(int(i), bytes(d), int(t)) for i, d, t in connection.execute(query)]

    def link(self, pseudonyms: Collection[str], *, since_index: int = 0) -> dict[str, str]:
        with self._reading() as connection:
            return self._link(connection, set(pseudonyms), since_index)

    def usage(self, start_us: int, end_us: int) -> list[Usage]:
        query = (
            select(ledger_leaves.c.data)
            .where(ledger_leaves.c.at_us >= start_us, ledger_leaves.c.at_us < end_us)
            .order_by(ledger_leaves.c.idx)
        )
        with self._reading() as connection:
            return reports.usage(bytes(d) for d in connection.execute(query).scalars())

    @staticmethod
    def _link(connection: Connection, wanted: set[str], since_index: int) -> dict[str, str]:
        if not wanted:
            return {}
        candidates = connection.execute(
            select(subject_keys.c.subject_id, subject_keys.c.pseudonym_key).where(
                subject_keys.c.head >= since_index
            )
        )
        return reports.link(wanted, ((r[0], bytes(r[1])) for r in candidates))

    def size(self) -> int:
        with self._reading() as connection:
            return self._size(connection)

    def subject_pseudonym(self, subject_id: str) -> str | None:
        with self._reading() as connection:
            row = connection.execute(_KEY_OF, {"subject_id": subject_id}).first()
        return None if row is None else pseudonym(bytes(row.pseudonym_key), subject_id)

    # -- internals -------------------------------------------------------------------

    def _published(self, connection: Connection, size: int) -> None:
        """Proofs only against a published checkpoint's size (never the live tree)."""
        latest = self._latest(connection)
        if latest is None or size > latest.size or size < 0:
            raise ProofError(f"no published checkpoint covers size {size}")

    def _latest(self, connection: Connection) -> Checkpoint | None:
        note = self._latest_note(connection)
        return None if note is None else open_checkpoint(note, self.verifier)

    @staticmethod
    def _latest_note(connection: Connection) -> str | None:
        note: str | None = connection.execute(
            select(ledger_checkpoints.c.note).order_by(ledger_checkpoints.c.size.desc()).limit(1)
        ).scalar_one_or_none()
        return note

    @staticmethod
    def _drop_scratch(connection: Connection, published: int) -> None:
        """Delete stored nodes no published checkpoint covers (an earlier version could leave
        them): they are recomputed from the leaves, never trusted. Any such node sits above
        a leaf hash past the checkpoint, so one index probe settles the usual case."""
        stray = connection.execute(
            select(ledger_nodes.c.idx)
            .where(ledger_nodes.c.level == 0, ledger_nodes.c.idx >= published)
            .limit(1)
        ).first()
        if stray is None:
            return
        top = connection.execute(select(func.max(ledger_nodes.c.level))).scalar_one_or_none()
        for level in range(int(top) + 1 if top is not None else 0):
            connection.execute(
                delete(ledger_nodes).where(
                    ledger_nodes.c.level == level, ledger_nodes.c.idx >= published >> level
                )
            )

    @staticmethod
    def _size(connection: Connection) -> int:
        top = connection.execute(select(func.max(ledger_leaves.c.idx))).scalar_one_or_none()
        return 0 if top is None else int(top) + 1

    @staticmethod
    def _node(
        connection: Connection, fresh: dict[tuple[int, int], bytes], level: int, index: int
    ) -> bytes:
        found = fresh.get((level, index))
        if found is not None:
            return found
        value = connection.execute(_NODE, {"level": level, "idx": index}).scalar_one_or_none()
        if value is None:
            raise LedgerDamaged(f"node {level}/{index} is not in the stored tree")
        return bytes(value)

    @staticmethod
    def _known_keys(
        connection: Connection, subject_ids: Sequence[str]
    ) -> tuple[dict[str, bytes], dict[str, int]]:
        """Pseudonym keys and chain heads of those of ``subject_ids`` that have a key."""
        keys: dict[str, bytes] = {}
        heads: dict[str, int] = {}
        for start in range(0, len(subject_ids), 500):
            chunk = subject_ids[start : start + 500]
            # raw: an IN list of up to 500 is compiled afresh by SQLAlchemy on every batch
            marks = ", ".join(["?"] * len(chunk))
            query = (
                "SELECT subject_id, pseudonym_key, head FROM subject_keys"  # noqa: S608
                f" WHERE subject_id IN ({marks})"
            )
            rows = connection.exec_driver_sql(
                _driver_sql(connection, query),
                tuple(chunk),
            )
            for subject_id, key, head in rows:
                keys[subject_id] = bytes(key)
                if head is not None:
                    heads[subject_id] = int(head)
        return keys, heads


_NODES_PER_STATEMENT = 400


def _fetch_nodes(
    connection: Connection, keys: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], bytes]:
    """The stored hashes of ``keys`` (level, index): raw statements of at most a few hundred
    primary-key terms each (no SQL compilation per proof)."""
    found: dict[tuple[int, int], bytes] = {}
    ordered = sorted(keys)
    for start in range(0, len(ordered), _NODES_PER_STATEMENT):
        chunk = ordered[start : start + _NODES_PER_STATEMENT]
        terms = " OR ".join(["(level = ? AND idx = ?)"] * len(chunk))
        query = f"SELECT level, idx, hash FROM ledger_nodes WHERE {terms}"  # noqa: S608
        cursor = connection.connection.cursor()
        try:
            cursor.execute(_driver_sql(connection, query), [v for key in chunk for v in key])
            for level, index, digest in cursor.fetchall():
                found[(int(level), int(index))] = bytes(digest)
        finally:
            cursor.close()
    return found


def _reader(nodes: dict[tuple[int, int], bytes]) -> NodeReader:
    def read(level: int, index: int) -> bytes:
        try:
            return nodes[(level, index)]
        except KeyError:
            raise LedgerDamaged(f"node {level}/{index} is not in the stored tree") from None

    return read
