"""Operator keys: bearer keys with a role — ``admin`` (everything), ``dpo`` (apps, review,
suspension, incidents, rights requests) or ``auditor`` (read only); what each role may do is
``authz.ACTIONS``. A key is shown once and stored only as its digest, with who created it;
keys are listed and revoked (``revoke_operator_key``), and who revoked one is kept too.

``CONSENTGATE_ADMIN_KEY`` is seeded at start (``seed_operator_key``): a new value revokes
the key seeded from the old one, so rotating the variable rotates the key. A demo server
keeps one key of its own (``demo_operator_key``): each start revokes the one before."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from consentgate.authz import Actor, Role
from consentgate.clock import to_micros, utc_now
from consentgate.errors import Conflict, InvalidInput, NotFound
from consentgate.operators.store import Operator, OperatorKey, OperatorStore
from consentgate.settings.tokens import ADMIN_KEY_MIN_BYTES

__all__ = [
    "DEMO_LABEL",
    "SEEDED_LABEL",
    "create_operator_key",
    "demo_operator_key",
    "find_operator",
    "revoke_operator_key",
    "seed_operator_key",
]

SEEDED_LABEL = "seeded from CONSENTGATE_ADMIN_KEY"
DEMO_LABEL = "serve --demo"
_SEEDER = Actor.system("admin-key-seed")


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_operator_key(
    operators: OperatorStore,
    *,
    role: Role,
    label: str | None = None,
    actor: Actor | None = None,
) -> str:
    """A new operator key with ``role``, made by ``actor`` (recorded; ``system:cli`` when
    not given); returned once, stored only as a digest."""
    key = "cgop_" + secrets.token_urlsafe(32)
    _store(operators, key, role, label, actor or Actor.system("cli"))
    return key


def seed_operator_key(operators: OperatorStore, key: str, *, role: Role = Role.ADMIN) -> None:
    """Make sure ``key`` (e.g. ``CONSENTGATE_ADMIN_KEY``) is a valid operator key, and that
    no key seeded from an earlier value still is."""
    if len(key) < ADMIN_KEY_MIN_BYTES:
        raise InvalidInput(f"an operator key must be at least {ADMIN_KEY_MIN_BYTES} characters")
    found = find_operator(operators, key)
    if found is None:
        _store(operators, key, role, SEEDED_LABEL, _SEEDER)
        found = find_operator(operators, key)
    current = None if found is None else found.id
    _revoke_labelled(operators, SEEDED_LABEL, keep=current, actor=_SEEDER)


def demo_operator_key(operators: OperatorStore) -> str:
    """A new admin key for a demo server, the one its last start printed revoked."""
    actor = Actor.system("serve-demo")
    _revoke_labelled(operators, DEMO_LABEL, keep=None, actor=actor)
    return create_operator_key(operators, role=Role.ADMIN, label=DEMO_LABEL, actor=actor)


def revoke_operator_key(operators: OperatorStore, operator_id: str, *, actor: Actor) -> OperatorKey:
    """Revoke the live key ``operator_id``, recording ``actor``. An operator cannot revoke
    the key they act with (a lock-out); another admin key can."""
    if actor.id == operator_id:
        raise Conflict("a key cannot revoke itself: revoke it with another admin key")
    revoked = operators.revoke(operator_id, at_us=to_micros(utc_now()), by=actor.ref)
    if revoked is None:
        raise NotFound(f"no live operator key with id {operator_id!r}")
    return revoked


def find_operator(operators: OperatorStore, key: str) -> Operator | None:
    digest = _digest(key)
    found = operators.by_key_hash(digest)
    if found is None or not hmac.compare_digest(found[1], digest):
        return None
    return found[0]


def _revoke_labelled(
    operators: OperatorStore, label: str, *, keep: str | None, actor: Actor
) -> None:
    now = to_micros(utc_now())
    for key in operators.list_keys():
        if key.label == label and key.revoked_us is None and key.id != keep:
            operators.revoke(key.id, at_us=now, by=actor.ref)


def _store(operators: OperatorStore, key: str, role: Role, label: str | None, actor: Actor) -> None:
    operators.add(
        operator_id="op_" + secrets.token_urlsafe(9),
        role=role,
        key_hash=_digest(key),
        label=label,
        created_us=to_micros(utc_now()),
        created_by=actor.ref,
    )
