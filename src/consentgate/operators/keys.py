"""Operator keys: bearer keys with a role — ``admin`` (everything), ``dpo`` (apps, review,
suspension, incidents, rights requests) or ``auditor`` (read only); what each role may do is
``authz.ACTIONS``. A key is shown once and stored only as its digest."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from consentgate.authz import Role
from consentgate.clock import to_micros, utc_now
from consentgate.errors import InvalidInput
from consentgate.operators.store import Operator, OperatorStore
from consentgate.settings.tokens import ADMIN_KEY_MIN_BYTES

__all__ = ["create_operator_key", "find_operator", "seed_operator_key"]


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_operator_key(operators: OperatorStore, *, role: Role, label: str | None = None) -> str:
    """A new operator key with ``role``; returned once, stored only as a digest."""
    key = "cgop_" + secrets.token_urlsafe(32)
    _store(operators, key, role, label)
    return key


def seed_operator_key(operators: OperatorStore, key: str, *, role: Role = Role.ADMIN) -> None:
    """Make sure ``key`` (e.g. ``CONSENTGATE_ADMIN_KEY``) is a valid operator key."""
    if len(key) < ADMIN_KEY_MIN_BYTES:
        raise InvalidInput(f"an operator key must be at least {ADMIN_KEY_MIN_BYTES} characters")
    if find_operator(operators, key) is None:
        _store(operators, key, role, "seeded from CONSENTGATE_ADMIN_KEY")


def find_operator(operators: OperatorStore, key: str) -> Operator | None:
    digest = _digest(key)
    found = operators.by_key_hash(digest)
    if found is None or not hmac.compare_digest(found[1], digest):
        return None
    return found[0]


def _store(operators: OperatorStore, key: str, role: Role, label: str | None) -> None:
    operators.add(
        operator_id="op_" + secrets.token_urlsafe(9),
        role=role,
        key_hash=_digest(key),
        label=label,
        created_us=to_micros(utc_now()),
    )
