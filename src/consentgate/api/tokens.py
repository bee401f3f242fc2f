"""Bearer credentials as the API reads them: ``Authorization: Bearer <token>``. What a token
is and how it verifies is ``consentgate.tokens``."""

from __future__ import annotations

from consentgate.errors import Unauthenticated

__all__ = ["bearer"]


def bearer(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header."""
    if not authorization:
        raise Unauthenticated("send credentials as 'Authorization: Bearer <token>'")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token or len(token) > 4096:
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
    return token
