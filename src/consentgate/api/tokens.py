"""Bearer credentials: app access tokens (issued here), data-subject JWTs (issued by the
platform) and operator keys. Every failure is ``Unauthenticated`` (nothing readable) or
``InvalidToken`` (bad signature, expired, ``alg=none``, wrong kind of token)."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt
import jwt.types

from consentgate.errors import InvalidToken, Unauthenticated

__all__ = [
    "DEMO_SUBJECT_KEY_NAME",
    "AppTokens",
    "bearer",
    "mint_subject_token",
    "subject_from_token",
]

# the server secret that signs demo-platform subject tokens when no platform secret is set
DEMO_SUBJECT_KEY_NAME = "demo-subject-tokens"

_ISSUER = "consentgate"
_APP_AUDIENCE = "consentgate-app"


def bearer(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header."""
    if not authorization:
        raise Unauthenticated("send credentials as 'Authorization: Bearer <token>'")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token or len(token) > 4096:
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
    return token


@dataclass(frozen=True)
class AppTokens:
    """HS256 access tokens for apps, signed with a server secret."""

    secret: bytes
    ttl_seconds: int = 3600

    def issue(self, app_id: str) -> tuple[str, int]:
        now = int(time.time())
        claims = {
            "iss": _ISSUER,
            "aud": _APP_AUDIENCE,
            "sub": app_id,
            "typ": "app",
            "iat": now,
            "exp": now + self.ttl_seconds,
            "jti": secrets.token_urlsafe(12),
        }
        return jwt.encode(claims, self.secret, algorithm="HS256"), self.ttl_seconds

    def app_id(self, token: str) -> str:
        claims = _decode(
            token,
            self.secret,
            audience=_APP_AUDIENCE,
            issuer=_ISSUER,
            require=["exp", "iat", "sub", "aud", "iss"],
        )
        if claims.get("typ") != "app":
            raise InvalidToken("this is not an app access token")
        return str(claims["sub"])


def subject_from_token(token: str, secret: bytes) -> str:
    """The platform subject id of a data-subject JWT (HS256, ``exp`` required)."""
    claims = _decode(token, secret, audience=None, issuer=None, require=["exp", "sub"])
    if claims.get("typ") == "app" or claims.get("aud") == _APP_AUDIENCE:
        raise InvalidToken("an app token cannot act for a data subject")
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject or len(subject) > 128:
        raise InvalidToken("the token's sub claim is not a subject id")
    return subject


def mint_subject_token(subject_id: str, secret: bytes, *, ttl_seconds: int = 3600) -> str:
    """A data-subject JWT as the demo platform's identity provider would issue it."""
    now = int(time.time())
    claims = {"iss": "demo-platform", "sub": subject_id, "iat": now, "exp": now + ttl_seconds}
    return jwt.encode(claims, secret, algorithm="HS256")


def _decode(
    token: str, secret: bytes, *, audience: str | None, issuer: str | None, require: list[str]
) -> dict[str, Any]:
    options: jwt.types.Options = {"require": require, "verify_aud": audience is not None}
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            audience=audience,
            issuer=issuer,
            options=options,
            leeway=5,
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("the token has expired: get a new one") from None
    except jwt.InvalidTokenError as exc:
        raise InvalidToken(f"the token is not valid here ({type(exc).__name__})") from None
    return claims
