"""Server secrets (token signing, app-scoped id keys): random, created once, kept in the
database so every replica and restart agrees on them — sealed under the database's master
key (``storage.master``); a plain one left by an earlier version is sealed the first time
it is read (and by ``seal_plain_secrets``)."""

from __future__ import annotations

import secrets

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from consentgate.clock import to_micros, utc_now
from consentgate.storage.database import Database
from consentgate.storage.master import MasterKey, is_sealed
from consentgate.storage.tables import server_secrets

__all__ = ["reseal_secrets", "seal_plain_secrets", "server_secret"]


def server_secret(db: Database, name: str, *, size: int = 32) -> bytes:
    """The secret called ``name``, created with ``size`` random bytes on first use."""
    query = select(server_secrets.c.secret).where(server_secrets.c.name == name)
    with db.begin() as connection:
        found = connection.execute(query).scalar_one_or_none()
        if found is not None:
            return _opened(db, connection, name, bytes(found))
    value = secrets.token_bytes(size)
    try:
        with db.begin() as connection:
            connection.execute(
                insert(server_secrets),
                [
                    {
                        "name": name,
                        "secret": db.master.seal(value, name=_name(name)),
                        "created_us": to_micros(utc_now()),
                    }
                ],
            )
    except IntegrityError:  # another process created it first: use theirs
        pass
    with db.begin() as connection:
        return _opened(db, connection, name, bytes(connection.execute(query).scalar_one()))


def seal_plain_secrets(db: Database, connection: Connection) -> int:
    """Seal every server secret still stored plain (an earlier version's); how many."""
    rows = connection.execute(select(server_secrets.c.name, server_secrets.c.secret)).all()
    plain = [row for row in rows if not is_sealed(bytes(row.secret))]
    for row in plain:
        _opened(db, connection, row.name, bytes(row.secret))
    return len(plain)


def reseal_secrets(db: Database, connection: Connection, new: MasterKey) -> int:
    """Seal every server secret under ``new`` (opened under the current master key)."""
    rows = connection.execute(select(server_secrets.c.name, server_secrets.c.secret)).all()
    for row in rows:
        value = _opened(db, connection, row.name, bytes(row.secret))
        connection.execute(
            update(server_secrets)
            .where(server_secrets.c.name == row.name)
            .values(secret=new.seal(value, name=_name(row.name)))
        )
    return len(rows)


def _name(name: str) -> str:
    return f"server secret {name}"


def _opened(db: Database, connection: Connection, name: str, stored: bytes) -> bytes:
    if is_sealed(stored):
        return db.master.open(stored, name=_name(name))
    connection.execute(
        update(server_secrets)
        .where(server_secrets.c.name == name)
        .values(secret=db.master.seal(stored, name=_name(name)))
    )
    return stored
