"""Ed25519 signing keys kept in ``signing_keys`` (one current key per use: consent
receipts, ledger checkpoints), generated on first use. The private half is stored sealed
under the database's master key (``storage.master``), never as plain PEM; a plain one left
by an earlier version is sealed the first time it is read (and by ``seal_plain_keys``)."""

from __future__ import annotations

import secrets

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from consentgate.clock import to_micros, utc_now
from consentgate.storage.database import Database
from consentgate.storage.master import MasterKey, is_sealed
from consentgate.storage.tables import signing_keys

__all__ = ["ed25519_key", "public_pem", "reseal_keys", "seal_plain_keys"]


def public_pem(db: Database, use: str) -> str | None:
    """The public half (PEM) of the newest key for ``use``, or None; creates nothing."""
    with db.connect() as connection:
        pem: str | None = connection.execute(
            select(signing_keys.c.public_pem)
            .where(signing_keys.c.use == use)
            .order_by(signing_keys.c.created_us.desc(), signing_keys.c.kid)
            .limit(1)
        ).scalar_one_or_none()
    return pem


def ed25519_key(db: Database, use: str, *, prefix: str) -> tuple[str, Ed25519PrivateKey]:
    """The newest key for ``use`` as (key id, private key), created when there is none."""
    with db.begin() as connection:
        row = connection.execute(
            select(signing_keys.c.kid, signing_keys.c.private_pem)
            .where(signing_keys.c.use == use)
            .order_by(signing_keys.c.created_us.desc(), signing_keys.c.kid)
            .limit(1)
        ).first()
        if row is not None:
            pem = _opened(db, connection, row.kid, row.private_pem)
            key = serialization.load_pem_private_key(pem.encode(), password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise TypeError(f"the stored {use} key is not an Ed25519 key")
            return row.kid, key
        private = Ed25519PrivateKey.generate()
        kid = prefix + secrets.token_urlsafe(9)
        connection.execute(
            insert(signing_keys),
            [
                {
                    "kid": kid,
                    "use": use,
                    "private_pem": db.master.sealed_text(_pem(private), name=_name(kid)),
                    "public_pem": private.public_key()
                    .public_bytes(
                        serialization.Encoding.PEM,
                        serialization.PublicFormat.SubjectPublicKeyInfo,
                    )
                    .decode(),
                    "created_us": to_micros(utc_now()),
                }
            ],
        )
        return kid, private


def seal_plain_keys(db: Database, connection: Connection) -> int:
    """Seal every private key still stored as plain PEM (an earlier version's); how many."""
    rows = connection.execute(select(signing_keys.c.kid, signing_keys.c.private_pem)).all()
    plain = [row for row in rows if not is_sealed(row.private_pem)]
    for row in plain:
        _opened(db, connection, row.kid, row.private_pem)
    return len(plain)


def reseal_keys(db: Database, connection: Connection, new: MasterKey) -> int:
    """Seal every private key under ``new`` (opened under the current master key)."""
    rows = connection.execute(select(signing_keys.c.kid, signing_keys.c.private_pem)).all()
    for row in rows:
        pem = _opened(db, connection, row.kid, row.private_pem)
        connection.execute(
            update(signing_keys)
            .where(signing_keys.c.kid == row.kid)
            .values(private_pem=new.sealed_text(pem, name=_name(row.kid)))
        )
    return len(rows)


def _name(kid: str) -> str:
    return f"signing key {kid}"


def _pem(private: Ed25519PrivateKey) -> str:
    return private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _opened(db: Database, connection: Connection, kid: str, stored: str) -> str:
    """The PEM of a stored private key; a plain one is sealed in place."""
    if is_sealed(stored):
        return db.master.opened_text(stored, name=_name(kid))
    connection.execute(
        update(signing_keys)
        .where(signing_keys.c.kid == kid)
        .values(private_pem=db.master.sealed_text(stored, name=_name(kid)))
    )
    return stored
