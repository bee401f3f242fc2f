"""Where operator keys are kept (table ``operator_keys``, as SHA-256 digests with a role,
who created them and, once revoked, when and by whom): the ``OperatorStore`` protocol,
its SQL implementation and an in-memory twin."""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from consentgate.authz import Actor, Role
from consentgate.storage.database import SqlStore
from consentgate.storage.tables import operator_keys

__all__ = [
    "MemoryOperatorStore",
    "Operator",
    "OperatorKey",
    "OperatorStore",
    "SqlOperatorStore",
]


@dataclass(frozen=True, slots=True)
class Operator:
    id: str
    role: Role

    @property
    def actor(self) -> Actor:
        return Actor.operator(self.id, self.role)


@dataclass(frozen=True, slots=True)
class OperatorKey:
    """What is kept of a key (never the key): its id, role, label, and its history."""

    id: str
    role: Role
    label: str | None
    created_us: int
    created_by: str | None  # ``Actor.ref``; None for keys made before it was recorded
    revoked_us: int | None = None
    revoked_by: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {"role": self.role.value}


class OperatorStore(Protocol):
    def add(
        self,
        *,
        operator_id: str,
        role: Role,
        key_hash: str,
        label: str | None,
        created_us: int,
        created_by: str | None = None,
    ) -> bool:
        """Store a key; False when a key with this digest is already stored."""
        ...

    def by_key_hash(self, key_hash: str) -> tuple[Operator, str] | None:
        """The live (not revoked) operator holding the key of this digest, and the stored
        digest (for a constant-time comparison)."""
        ...

    def list_keys(self) -> list[OperatorKey]:
        """Every key, revoked ones too, oldest first."""
        ...

    def revoke(self, operator_id: str, *, at_us: int, by: str) -> OperatorKey | None:
        """Revoke a live key; the key as now stored, or None when there is no live key
        with that id."""
        ...


_COLUMNS = (
    operator_keys.c.id,
    operator_keys.c.role,
    operator_keys.c.label,
    operator_keys.c.created_us,
    operator_keys.c.created_by,
    operator_keys.c.revoked_us,
    operator_keys.c.revoked_by,
)


def _key_of(row: Any) -> OperatorKey:
    return OperatorKey(
        row.id,
        Role(row.role),
        row.label,
        int(row.created_us),
        row.created_by,
        None if row.revoked_us is None else int(row.revoked_us),
        row.revoked_by,
    )


class SqlOperatorStore(SqlStore):
    def add(
        self,
        *,
        operator_id: str,
        role: Role,
        key_hash: str,
        label: str | None,
        created_us: int,
        created_by: str | None = None,
    ) -> bool:
        row = {
            "id": operator_id,
            "role": role.value,
            "key_hash": key_hash,
            "label": label,
            "created_us": created_us,
            "created_by": created_by,
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

    def list_keys(self) -> list[OperatorKey]:
        query = select(*_COLUMNS).order_by(operator_keys.c.created_us, operator_keys.c.id)
        with self._reading() as connection:
            return [_key_of(row) for row in connection.execute(query)]

    def revoke(self, operator_id: str, *, at_us: int, by: str) -> OperatorKey | None:
        statement = (
            update(operator_keys)
            .where(operator_keys.c.id == operator_id, operator_keys.c.revoked_us.is_(None))
            .values(revoked_us=at_us, revoked_by=by)
        )
        with self._writing() as connection:
            if connection.execute(statement).rowcount != 1:
                return None
            row = connection.execute(
                select(*_COLUMNS).where(operator_keys.c.id == operator_id)
            ).one()
        return _key_of(row)


class MemoryOperatorStore:
    def __init__(self, *, lock: threading.RLock | None = None) -> None:
        self._lock = lock or threading.RLock()
        self._keys: dict[str, OperatorKey] = {}  # digest: key

    def snapshot(self) -> dict[str, OperatorKey]:
        with self._lock:
            return dict(self._keys)

    def restore(self, state: dict[str, OperatorKey]) -> None:
        with self._lock:
            self._keys = state

    def add(
        self,
        *,
        operator_id: str,
        role: Role,
        key_hash: str,
        label: str | None,
        created_us: int,
        created_by: str | None = None,
    ) -> bool:
        with self._lock:
            if key_hash in self._keys:
                return False
            self._keys[key_hash] = OperatorKey(operator_id, role, label, created_us, created_by)
            return True

    def by_key_hash(self, key_hash: str) -> tuple[Operator, str] | None:
        with self._lock:
            found = self._keys.get(key_hash)
        if found is None or found.revoked_us is not None:
            return None
        return Operator(found.id, found.role), key_hash

    def list_keys(self) -> list[OperatorKey]:
        with self._lock:
            return sorted(self._keys.values(), key=lambda k: (k.created_us, k.id))

    def revoke(self, operator_id: str, *, at_us: int, by: str) -> OperatorKey | None:
        with self._lock:
            for digest, key in self._keys.items():
                if key.id == operator_id and key.revoked_us is None:
                    revoked = dataclasses.replace(key, revoked_us=at_us, revoked_by=by)
                    self._keys[digest] = revoked
                    return revoked
        return None
