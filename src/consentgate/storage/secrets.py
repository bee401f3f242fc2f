"""Server secrets (token signing, app-scoped id keys): random, created once, kept in the
database so every replica and restart agrees on them."""

from __future__ import annotations

import secrets

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from consentgate.clock import to_micros, utc_now
from consentgate.storage.database import Database
from consentgate.storage.tables import server_secrets

__all__ = ["server_secret"]


def server_secret(db: Database, name: str, *, size: int = 32) -> bytes:
    """The secret called ``name``, created with ``size`` random bytes on first use."""
    query = select(server_secrets.c.secret).where(server_secrets.c.name == name)
    with db.connect() as connection:
        found = connection.execute(query).scalar_one_or_none()
    if found is not None:
        return bytes(found)
    value = secrets.token_bytes(size)
    try:
        with db.begin() as connection:
            connection.execute(
                insert(server_secrets),
                [{"name": name, "secret": value, "created_us": to_micros(utc_now())}],
            )
    except IntegrityError:  # another process created it first: use theirs
        pass
    with db.connect() as connection:
        return bytes(connection.execute(query).scalar_one())
