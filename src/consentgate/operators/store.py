"""Where operator keys are kept (table ``operator_keys``, as SHA-256 digests with a role):
the ``OperatorStore`` protocol, its SQL implementation and an in-memory twin."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from consentgate.authz import Actor, Role
from consentgate.storage.database import SqlStore
from consentgate.storage.tables import operator_keys

__all__ = ["MemoryOperatorStore", "Operator", "OperatorStore", "SqlOperatorStore"]


@dataclass(frozen=True, slots=True)
class Operator:
    id: str
    role: Role

    @property
    def actor(self) -> Actor:
        return Actor.operator(self.id, self.role)


class OperatorStore(Protocol):
    def add(
        self, *, operator_id: str, role: Role, key_hash: str, label: str | None, created_us: int
    ) -> bool:
        """Store a key; False when a key with this digest is already stored."""
        ...

    def by_key_hash(self, key_hash: str) -> tuple[Operator, str] | None:
        """The live (not revoked) operator holding the key of this digest, and the stored
        digest (for a constant-time comparison)."""
        ...


class SqlOperatorStore(SqlStore):
    def add(
        self, *, operator_id: str, role: Role, key_hash: str, label: str | None, created_us: int
    ) -> bool:
        row = {
            "id": operator_id,
            "role": role.value,
            "key_hash": key_hash,
            "label": label,
            "created_us": created_us,
        }
        try:
            with self._writing() as connection:
                connection.execute(insert(operator_keys), [row])
        except IntegrityError:  # seeded concurrently by another process
            return False
        return True

    def by_key_hash(self, key_hash: str) -> tuple[Operator, str] | None:
        query = select(operator_keys.c.id, operator_keys.c.role, operator_keys.c.key_hash).where(
            operator_keys.c.key_hash == key_hash, operator_keys.c.revoked_us.is_(None)
        )
        with self._reading() as connection:
            row = connection.execute(query).first()
        return None if row is None else (Operator(row.id, Role(row.role)), row.key_hash)


class MemoryOperatorStore:
    def __init__(self, *, lock: threading.RLock | None = None) -> None:
        self._lock = lock or threading.RLock()
        self._keys: dict[str, Operator] = {}  # digest: operator

    def snapshot(self) -> dict[str, Operator]:
        with self._lock:
            return dict(self._keys)

    def restore(self, state: dict[str, Operator]) -> None:
        with self._lock:
            self._keys = state

    def add(
        self, *, operator_id: str, role: Role, key_hash: str, label: str | None, created_us: int
    ) -> bool:
        with self._lock:
            if key_hash in self._keys:
                return False
            self._keys[key_hash] = Operator(operator_id, role)
            return True

    def by_key_hash(self, key_hash: str) -> tuple[Operator, str] | None:
        with self._lock:
            found = self._keys.get(key_hash)
        return None if found is None else (found, key_hash)
