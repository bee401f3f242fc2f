"""Tokens (core): app access tokens (issued here) and data-subject JWTs (issued by the
platform's identity provider, or minted for the demo platform). Every failure is
``InvalidToken`` (bad signature, expired, ``alg=none``, wrong kind of token); a platform key
set that cannot be fetched is ``KeysUnavailable`` (503). Reading the ``Authorization``
header is the API's (``api.deps.bearer``)."""

from __future__ import annotations

import functools
import secrets
import time
from collections.abc import Callable
from typing import Any

import jwt
import jwt.types

from consentgate.errors import InvalidToken, KeysUnavailable

__all__ = [
    "DEMO_SUBJECT_KEY_NAME",
    "AppTokens",
    "SubjectTokens",
    "mint_subject_token",
]

# the server secret that signs demo-platform subject tokens when no platform secret is set
DEMO_SUBJECT_KEY_NAME = "demo-subject-tokens"

_ISSUER = "consentgate"
_APP_AUDIENCE = "consentgate-app"


_LEEWAY_S = 5  # clock skew allowed on ``exp``


class AppTokens:
    """HS256 access tokens for apps, signed with a server secret.

    A token that verified is remembered (at most ``cache_size`` of them) with its app and
    expiry, so an app's next calls skip the signature check: a hit is the same string, so
    the same signature. Expiry is checked on every call; whether the app may still read is
    not a property of the token and is checked where each request is served."""

    def __init__(
        self,
        secret: bytes,
        *,
        ttl_seconds: int = 3600,
        cache_size: int = 4096,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.secret = secret
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        # only verified tokens enter (a failure raises, and lru_cache keeps no exceptions)
        self._verified = functools.lru_cache(maxsize=cache_size)(self._verify)

    def issue(self, app_id: str, *, version: str = "") -> tuple[str, int]:
        """A token for ``app_id`` under the app's secret ``version`` (``sv``: a token is
        honoured only while the app's secret is still that version)."""
        now = int(self._clock())
        claims = {
            "iss": _ISSUER,
            "aud": _APP_AUDIENCE,
            "sub": app_id,
            "sv": version,
            "typ": "app",
            "iat": now,
            "exp": now + self.ttl_seconds,
            "jti": secrets.token_urlsafe(12),
        }
        return jwt.encode(claims, self.secret, algorithm="HS256"), self.ttl_seconds

    def app_id(self, token: str) -> str:
        return self.claims(token)[0]

    def claims(self, token: str) -> tuple[str, str]:
        """The app id and the secret version of a valid, unexpired token."""
        app_id, expires, version = self._verified(token)
        if self._clock() > expires + _LEEWAY_S:
            raise InvalidToken("the token has expired: get a new one")
        return app_id, version

    def _verify(self, token: str) -> tuple[str, float, str]:
        claims = _decode(
            token,
            self.secret,
            algorithm="HS256",
            audience=_APP_AUDIENCE,
            issuer=_ISSUER,
            require=["exp", "iat", "sub", "aud", "iss"],
        )
        if claims.get("typ") != "app":
            raise InvalidToken("this is not an app access token")
        return str(claims["sub"]), float(claims["exp"]), str(claims.get("sv", ""))


# asymmetric algorithms a platform's identity provider may sign subject tokens with
ASYMMETRIC = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)


class SubjectTokens:
    """Verifies the platform's data-subject JWTs (``sub`` = the platform's subject id, ``exp``
    required): HS256 with the shared secret, and/or an asymmetric algorithm with the key its
    ``kid`` names in the platform's JWKS (fetched over HTTP, cached five minutes). The
    algorithm is pinned to the key's type, so a token cannot pick a weaker one (``none``,
    or HS256 keyed with a public key)."""

    def __init__(self, *, secret: bytes | None = None, jwks_url: str | None = None) -> None:
        if secret is None and jwks_url is None:
            raise ValueError("subject tokens need a shared secret or a JWKS URL")
        self.secret = secret
        self.jwks_url = jwks_url
        self._jwks = (
            jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=300, timeout=5)
            if jwks_url
            else None
        )

    def subject(self, token: str) -> str:
        try:
            algorithm = jwt.get_unverified_header(token).get("alg")
        except jwt.InvalidTokenError as exc:
            raise InvalidToken(f"the token is not valid here ({type(exc).__name__})") from None
        key: Any
        if algorithm == "HS256" and self.secret is not None:
            key = self.secret
        elif algorithm in ASYMMETRIC and self._jwks is not None:
            key = self._platform_key(token, str(algorithm))
        else:
            raise InvalidToken(f"subject tokens signed with {algorithm!r} are not accepted here")
        claims = _decode(
            token, key, algorithm=str(algorithm), audience=None, issuer=None, require=["exp", "sub"]
        )
        if claims.get("typ") == "app" or claims.get("aud") == _APP_AUDIENCE:
            raise InvalidToken("an app token cannot act for a data subject")
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject or len(subject) > 128:
            raise InvalidToken("the token's sub claim is not a subject id")
        return subject

    def _platform_key(self, token: str, algorithm: str) -> Any:
        assert self._jwks is not None
        try:
            found = self._jwks.get_signing_key_from_jwt(token)
        except jwt.PyJWKClientConnectionError:
            raise KeysUnavailable(
                "the platform's token keys (CONSENTGATE_SUBJECT_JWKS_URL) could not be "
                "fetched: retry later"
            ) from None
        except (jwt.PyJWKClientError, jwt.PyJWKError, jwt.PyJWKSetError, jwt.DecodeError):
            raise InvalidToken("no key of the platform matches the token's kid") from None
        if found.algorithm_name != algorithm:
            raise InvalidToken(f"the token's kid names a {found.algorithm_name} key")
        return found.key


def mint_subject_token(subject_id: str, secret: bytes, *, ttl_seconds: int = 3600) -> str:
    """A data-subject JWT as the demo platform's identity provider would issue it."""
    now = int(time.time())
    claims = {"iss": "demo-platform", "sub": subject_id, "iat": now, "exp": now + ttl_seconds}
    return jwt.encode(claims, secret, algorithm="HS256")


def _decode(
    token: str,
    key: Any,
    *,
    algorithm: str,
    audience: str | None,
    issuer: str | None,
    require: list[str],
) -> dict[str, Any]:
    options: jwt.types.Options = {"require": require, "verify_aud": audience is not None}
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            audience=audience,
            issuer=issuer,
            options=options,
            leeway=_LEEWAY_S,
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("the token has expired: get a new one") from None
    except jwt.InvalidTokenError as exc:
        raise InvalidToken(f"the token is not valid here ({type(exc).__name__})") from None
    return claims
