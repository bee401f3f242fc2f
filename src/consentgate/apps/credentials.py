"""App credentials: random client ids and secrets; secrets stored only as argon2 hashes."""

from __future__ import annotations

import base64
import hashlib
import secrets

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

__all__ = [
    "hash_secret",
    "new_app_id",
    "new_client_id",
    "new_client_secret",
    "new_notification_secret",
    "secret_version",
    "verify_secret",
]

_hasher = PasswordHash((Argon2Hasher(),))


def new_app_id() -> str:
    return "app_" + secrets.token_urlsafe(12)


def new_client_id() -> str:
    return "cg_" + secrets.token_urlsafe(18)


def new_client_secret() -> str:
    """A 256-bit secret, shown once to the operator and never stored in clear."""
    return "cgs_" + secrets.token_urlsafe(32)


def new_notification_secret() -> str:
    """A Standard Webhooks signing secret (``whsec_`` + 32 random bytes in base64), shown
    once; kept in the database because signing needs it (see docs/rights.md)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def verify_secret(secret: str, stored_hash: str) -> bool:
    try:
        return _hasher.verify(secret, stored_hash)
    except Exception:  # noqa: BLE001 — a malformed stored hash never authenticates
        return False


def secret_version(secret_hash: str) -> str:
    """A short fingerprint of the stored hash (salted, so each new secret gives a new one):
    put in every access token, so rotating the secret invalidates the tokens of the old."""
    return hashlib.sha256(secret_hash.encode("ascii")).hexdigest()[:16]
