"""Operator keys: bearer keys with a role — ``admin`` (everything), ``dpo`` (apps, review,
suspension, incidents, rights requests) or ``auditor`` (read only)."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from consentgate.clock import to_micros, utc_now
from consentgate.errors import InvalidInput
from consentgate.settings.tokens import ADMIN_KEY_MIN_BYTES
from consentgate.storage.tables import operator_keys

__all__ = ["Operator", "Role", "create_operator_key", "find_operator", "seed_operator_key"]


class Role(StrEnum):
    ADMIN = "admin"
    DPO = "dpo"
    AUDITOR = "auditor"


@dataclass(frozen=True, slots=True)
class Operator:
    id: str
    role: Role


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_operator_key(engine: Engine, *, role: Role, label: str | None = None) -> str:
    """A new operator key with ``role``; returned once, stored only as a digest."""
    key = "cgop_" + secrets.token_urlsafe(32)
    _store(engine, key, role, label)
    return key


def seed_operator_key(engine: Engine, key: str, *, role: Role = Role.ADMIN) -> None:
    """Make sure ``key`` (e.g. ``CONSENTGATE_ADMIN_KEY``) is a valid operator key."""
    if len(key) < ADMIN_KEY_MIN_BYTES:
        raise InvalidInput(f"an operator key must be at least {ADMIN_KEY_MIN_BYTES} characters")
    if find_operator(engine, key) is None:
        with contextlib.suppress(IntegrityError):  # seeded concurrently by another process
            _store(engine, key, role, "seeded from CONSENTGATE_ADMIN_KEY")


def find_operator(engine: Engine, key: str) -> Operator | None:
    digest = _digest(key)
    query = select(operator_keys.c.id, operator_keys.c.role, operator_keys.c.key_hash).where(
        operator_keys.c.key_hash == digest, operator_keys.c.revoked_us.is_(None)
    )
    with engine.connect() as connection:
        row = connection.execute(query).first()
    if row is None or not hmac.compare_digest(row.key_hash, digest):
        return None
    return Operator(id=row.id, role=Role(row.role))


def _store(engine: Engine, key: str, role: Role, label: str | None) -> None:
    with engine.begin() as connection:
        connection.execute(
            insert(operator_keys),
            [
                {
                    "id": "op_" + secrets.token_urlsafe(9),
                    "role": role.value,
                    "key_hash": _digest(key),
                    "label": label,
                    "created_us": to_micros(utc_now()),
                }
            ],
        )
