"""Operators (a room; table ``operator_keys``): bearer keys with a role, and the store
they are kept in, with who created and who revoked each. ``Role`` comes from
``consentgate.authz``, which decides what each role may do."""

from consentgate.authz import Role
from consentgate.operators.keys import (
    create_operator_key,
    demo_operator_key,
    find_operator,
    revoke_operator_key,
    seed_operator_key,
)
from consentgate.operators.store import (
    MemoryOperatorStore,
    Operator,
    OperatorKey,
    OperatorStore,
    SqlOperatorStore,
)

__all__ = [
    "MemoryOperatorStore",
    "Operator",
    "OperatorKey",
    "OperatorStore",
    "Role",
    "SqlOperatorStore",
    "create_operator_key",
    "demo_operator_key",
    "find_operator",
    "revoke_operator_key",
    "seed_operator_key",
]
