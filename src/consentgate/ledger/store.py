"""The ledger in SQL: append leaves (one transaction per batch), integrate them into the
persisted tree, sign checkpoints, and answer proofs against a published checkpoint.

``append`` is called by one writer (the group-commit thread): it numbers leaves densely,
keys each subject's pseudonym (a random key per subject, created on first disclosure) and
links each leaf to the subject's previous one. ``integrate`` extends the stored perfect
subtrees for the leaves since the last checkpoint and signs a new checkpoint. Proofs read
O(log n) node rows and are made only for sizes that a checkpoint published.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Engine, bindparam, delete, func, insert, select
from sqlalchemy.engine import Connection

from consentgate.clock import to_micros, utc_now
from consentgate.errors import LedgerDamaged
from consentgate.ledger.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from consentgate.ledger.leaves import leaf_bytes, new_nonces, new_pseudonym_keys, pseudonym
from consentgate.ledger.merkle import (
    EMPTY_ROOT,
    NodeReader,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    subtree_hash,
)
from consentgate.ledger.note import NoteSigner, NoteVerifier, key_hash
from consentgate.storage.keys import ed25519_key
from consentgate.storage.tables import (
    ledger_checkpoints,
    ledger_leaves,
    ledger_nodes,
    signing_keys,
    subject_keys,
)

__all__ = ["CHECKPOINT_KEY_USE", "Entry", "LedgerStore", "open_ledger", "stored_verifier"]

CHECKPOINT_KEY_USE = "ledger-checkpoint"


def stored_verifier(engine: Engine, *, origin: str) -> NoteVerifier | None:
    """The checkpoint verifier of this database's ledger key, without creating one."""
    with engine.connect() as connection:
        pem = connection.execute(
            select(signing_keys.c.public_pem)
            .where(signing_keys.c.use == CHECKPOINT_KEY_USE)
            .order_by(signing_keys.c.created_us.desc())
            .limit(1)
        ).scalar_one_or_none()
    if pem is None:
        return None
    public = serialization.load_pem_public_key(pem.encode())
    if not isinstance(public, Ed25519PublicKey):
        raise TypeError("the stored ledger key is not an Ed25519 key")
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return NoteVerifier(origin, key_hash(origin, raw), public)


def open_ledger(engine: Engine, *, origin: str) -> LedgerStore:
    """The ledger of this database, signing with its checkpoint key (created on first use).
    The origin is fixed once checkpoints exist: it is the key name they are signed under."""
    _, key = ed25519_key(engine, CHECKPOINT_KEY_USE, prefix="lk_")
    return LedgerStore(engine, NoteSigner(origin, key))


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


def _driver_sql(connection: Connection, statement: str) -> str:
    """``statement``, written with ``?`` placeholders, in the driver's parameter style
    (sqlite3: qmark; psycopg: format). The statements here hold no other ``?`` or ``%``."""
    return statement if connection.dialect.paramstyle == "qmark" else statement.replace("?", "%s")


@dataclass(frozen=True)
class Entry:
    """A disclosure to be written: who (platform id, never stored in the leaf) got what."""

    subject_id: str
    app_id: str
    fields: tuple[str, ...]
    purpose: str
    basis: str
    consent_id: str
    request_id: str
    at_us: int
    kind: str = "disclosure"


class LedgerStore:
    def __init__(self, engine: Engine, signer: NoteSigner) -> None:
        self.engine = engine
        self.signer = signer

    @property
    def verifier(self) -> NoteVerifier:
        return self.signer.verifier

    # -- writing ---------------------------------------------------------------------

    def append(self, connection: Connection, entries: Sequence[Entry]) -> list[int]:
        """Write ``entries`` as leaves on ``connection`` (inside the caller's transaction);
        returns their indices. A batch costs a handful of statements, not one per leaf."""
        if not entries:
            return []
        next_index = self._size(connection)
        subjects = list(dict.fromkeys(entry.subject_id for entry in entries))
        keys, heads = self._known_keys(connection, subjects)
        unkeyed = [s for s in subjects if s not in keys]
        fresh = dict(zip(unkeyed, new_pseudonym_keys(len(unkeyed)), strict=True))
        keys.update(fresh)
        pseudonyms = {s: pseudonym(keys[s], s) for s in subjects}  # once per subject
        nonces = new_nonces(len(entries))
        rows = []
        for offset, entry in enumerate(entries):
            index = next_index + offset
            subject = entry.subject_id
            subj = pseudonyms[subject]
            data = leaf_bytes(
                entry.at_us // 1000,
                entry.app_id,
                subj,
                heads.get(subject, -1),
                entry.fields,
                entry.purpose,
                entry.basis,
                entry.consent_id,
                entry.request_id,
                nonces[offset],
                entry.kind,
            )
            heads[subject] = index
            rows.append((index, data, subj, entry.app_id, entry.at_us))
        # straight to the driver's executemany: these run for every leaf, and building
        # SQLAlchemy parameters per row cost as much as writing them. A new subject's key
        # row is written with its chain head already in place; known subjects move theirs.
        connection.exec_driver_sql(_driver_sql(connection, _INSERT_LEAVES), rows)
        if fresh:
            created = to_micros(utc_now())
            connection.exec_driver_sql(
                _driver_sql(connection, _INSERT_KEYS),
                [(s, k, heads[s], created) for s, k in fresh.items()],
            )
        known = [(heads[s], s) for s in subjects if s not in fresh]
        if known:
            connection.exec_driver_sql(_driver_sql(connection, _SET_HEADS), known)
        return list(range(next_index, next_index + len(entries)))

    def integrate(self, *, now: datetime | None = None) -> Checkpoint:
        """Extend the tree over every appended leaf and sign a checkpoint of its size (the
        empty log publishes size 0 with the root SHA-256(""))."""
        with self.engine.begin() as connection:
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

    def shred(self, subject_id: str, *, connection: Connection | None = None) -> bool:
        """Destroy the subject's pseudonym key: their leaves become unlinkable to them, and
        every proof still verifies. (``ledger.erasure.shred_subject`` first appends an
        erasure leaf and erases the rows that would link the leaves back.)"""
        statement = subject_keys.delete().where(subject_keys.c.subject_id == subject_id)
        if connection is not None:
            return bool(connection.execute(statement).rowcount)
        with self.engine.begin() as own:
            return bool(own.execute(statement).rowcount)

    # -- reading ---------------------------------------------------------------------

    def latest_note(self) -> str | None:
        with self.engine.connect() as connection:
            return connection.execute(
                select(ledger_checkpoints.c.note)
                .order_by(ledger_checkpoints.c.size.desc())
                .limit(1)
            ).scalar_one_or_none()

    def checkpoint(self) -> Checkpoint | None:
        with self.engine.connect() as connection:
            return self._latest(connection)

    def leaves(self, start: int, end: int) -> list[tuple[int, bytes]]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(ledger_leaves.c.idx, ledger_leaves.c.data)
                .where(ledger_leaves.c.idx >= start, ledger_leaves.c.idx < end)
                .order_by(ledger_leaves.c.idx)
            )
            return [(int(i), bytes(d)) for i, d in rows]

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        with self.engine.connect() as connection:
            self._published(connection, size)
            return self._prefetched(connection, lambda read: inclusion_proof(read, index, size))

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        with self.engine.connect() as connection:
            self._published(connection, second)
            return self._prefetched(connection, lambda read: consistency_proof(read, first, second))

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
        found: dict[tuple[int, int], bytes] = {}
        keys = sorted(needed)
        if keys:  # one raw statement (no SQL compilation per proof); each term hits the PK
            terms = " OR ".join(["(level = ? AND idx = ?)"] * len(keys))
            query = f"SELECT level, idx, hash FROM ledger_nodes WHERE {terms}"  # noqa: S608
            cursor = connection.connection.cursor()
            try:
                cursor.execute(
                    _driver_sql(connection, query),
                    [value for key in keys for value in key],
                )
                for level, index, digest in cursor.fetchall():
                    found[(int(level), int(index))] = bytes(digest)
            finally:
                cursor.close()

        def read(level: int, index: int) -> bytes:
            try:
                return found[(level, index)]
            except KeyError:
                raise LedgerDamaged(f"node {level}/{index} is not in the stored tree") from None

        return build(read)

    def subject_leaves(
        self, subject_id: str, *, after: int | None, limit: int
    ) -> tuple[int | None, list[tuple[int, bytes]]]:
        """The subject's chain head and a page of their leaves (by the pseudonym index)."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(subject_keys.c.pseudonym_key, subject_keys.c.head).where(
                    subject_keys.c.subject_id == subject_id
                )
            ).first()
            if row is None:
                return None, []
            mine = pseudonym(bytes(row.pseudonym_key), subject_id)
            query = (
                select(ledger_leaves.c.idx, ledger_leaves.c.data)
                .where(ledger_leaves.c.pseudonym == mine)
                .order_by(ledger_leaves.c.idx)
                .limit(limit)
            )
            if after is not None:
                query = query.where(ledger_leaves.c.idx > after)
            leaves = [(int(i), bytes(d)) for i, d in connection.execute(query)]
        return (None if row.head is None else int(row.head)), leaves

    def subject_pseudonym(self, subject_id: str) -> str | None:
        with self.engine.connect() as connection:
            key = connection.execute(
                select(subject_keys.c.pseudonym_key).where(subject_keys.c.subject_id == subject_id)
            ).scalar_one_or_none()
        return None if key is None else pseudonym(bytes(key), subject_id)

    # -- internals -------------------------------------------------------------------

    def _published(self, connection: Connection, size: int) -> None:
        """Proofs only against a published checkpoint's size (never the live tree)."""
        latest = self._latest(connection)
        if latest is None or size > latest.size or size < 0:
            raise ProofError(f"no published checkpoint covers size {size}")

    def _latest(self, connection: Connection) -> Checkpoint | None:
        note = connection.execute(
            select(ledger_checkpoints.c.note).order_by(ledger_checkpoints.c.size.desc()).limit(1)
        ).scalar_one_or_none()
        return None if note is None else open_checkpoint(note, self.verifier)

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
