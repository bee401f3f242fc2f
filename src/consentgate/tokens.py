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
    "DEFAULT_SUBJECT_MAX_TTL_S",
    "DEMO_SUBJECT_AUDIENCE",
    "DEMO_SUBJECT_ISSUER",
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


DEFAULT_SUBJECT_MAX_TTL_S = 86_400


class SubjectTokens:
    """Verifies the platform's data-subject JWTs (``sub`` = the platform's subject id, ``exp``
    required and a number): HS256 with the shared secret, and/or an asymmetric algorithm
    with the key its ``kid`` names in the platform's JWKS (fetched over HTTP, cached five
    minutes). The algorithm is pinned to the key's type, so a token cannot pick a weaker one
    (``none``, or HS256 keyed with a public key). ``iss`` and ``aud`` must be ``issuer`` and
    ``audience`` when those are set; a token may live at most ``max_ttl_seconds`` (from
    ``iat`` when it has one, and from now). A header that is not a JSON object of strings
    where strings belong is ``InvalidToken`` like any other bad token, never a crash."""

    def __init__(
        self,
        *,
        secret: bytes | None = None,
        jwks_url: str | None = None,
        issuer: str | None = None,
        audience: str | None = None,
        max_ttl_seconds: int = DEFAULT_SUBJECT_MAX_TTL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if secret is None and jwks_url is None:
            raise ValueError("subject tokens need a shared secret or a JWKS URL")
        self.secret = secret
        self.jwks_url = jwks_url
        self.issuer = issuer
        self.audience = audience
        self.max_ttl_seconds = max_ttl_seconds
        self._clock = clock
        self._jwks = (
            jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=300, timeout=5)
            if jwks_url
            else None
        )

    def subject(self, token: str) -> str:
        algorithm = _header_algorithm(token)
        key: Any
        if algorithm == "HS256" and self.secret is not None:
            key = self.secret
        elif algorithm in ASYMMETRIC and self._jwks is not None:
            key = self._platform_key(token, algorithm)
        else:
            raise InvalidToken("subject tokens signed with this algorithm are not accepted here")
        claims = _decode(
            token,
            key,
            algorithm=algorithm,
            audience=self.audience,
            issuer=self.issuer,
            require=["exp", "sub"]
            + [n for n, v in (("iss", self.issuer), ("aud", self.audience)) if v],
        )
        if claims.get("typ") == "app" or claims.get("aud") == _APP_AUDIENCE:
            raise InvalidToken("an app token cannot act for a data subject")
        self._check_lifetime(claims)
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject or len(subject) > 128:
            raise InvalidToken("the token's sub claim is not a subject id")
        return subject

    def _check_lifetime(self, claims: dict[str, Any]) -> None:
        """``exp`` (and ``iat``) are numbers, and the token lives at most ``max_ttl_seconds``
        (PyJWT reads ``"exp": "9999999999"`` as a number: refused here)."""
        expires, issued = claims["exp"], claims.get("iat")
        if not _is_number(expires) or (issued is not None and not _is_number(issued)):
            raise InvalidToken("the token's exp and iat claims must be numbers")
        longest = self.max_ttl_seconds + _LEEWAY_S
        if expires - self._clock() > longest or (issued is not None and expires - issued > longest):
            raise InvalidToken(
                f"the token lives longer than {self.max_ttl_seconds} s: ask the platform for a "
                "shorter-lived one"
            )

    def _platform_key(self, token: str, algorithm: str) -> Any:
        assert self._jwks is not None
        try:
            found = self._jwks.get_signing_key_from_jwt(token)
        except jwt.PyJWKClientConnectionError:
            raise KeysUnavailable(
                "the platform's token keys (CONSENTGATE_SUBJECT_JWKS_URL) could not be "
                "fetched: retry later"
            ) from None
        except (jwt.PyJWKClientError, jwt.PyJWKError, jwt.PyJWKSetError, jwt.InvalidTokenError):
            raise InvalidToken("no key of the platform matches the token's kid") from None
        if found.algorithm_name != algorithm:
            raise InvalidToken(f"the token's kid names a {found.algorithm_name} key")
        return found.key


# what the demo platform's identity provider puts in its tokens
DEMO_SUBJECT_ISSUER = "demo-platform"
DEMO_SUBJECT_AUDIENCE = "consentgate"


def mint_subject_token(
    subject_id: str,
    secret: bytes,
    *,
    ttl_seconds: int = 3600,
    issuer: str = DEMO_SUBJECT_ISSUER,
    audience: str = DEMO_SUBJECT_AUDIENCE,
) -> str:
    """A data-subject JWT as the demo platform's identity provider would issue it."""
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": audience,
        "sub": subject_id,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value


def _header_algorithm(token: str) -> str:
    """The header's ``alg``, when the header is a JSON object whose ``alg`` (and ``kid``,
    ``typ``, when present) are strings; anything else is ``InvalidToken``."""
    try:
        header = jwt.get_unverified_header(token)
    except (jwt.InvalidTokenError, ValueError, TypeError) as exc:
        raise InvalidToken(f"the token is not valid here ({type(exc).__name__})") from None
    if not isinstance(header, dict):
        raise InvalidToken("the token's header is not a JSON object")
    algorithm = header.get("alg")
    if not isinstance(algorithm, str):
        raise InvalidToken("the token's header names no algorithm")
    for name in ("kid", "typ", "cty"):
        if name in header and not isinstance(header[name], str):
            raise InvalidToken(f"the token's header {name!r} is not a string")
    if "crit" in header:
        raise InvalidToken("the token's header names critical extensions this server lacks")
    return algorithm


def _decode(
    token: str,
    key: Any,
    *,
    algorithm: str,
    audience: str | None,
    issuer: str | None,
    require: list[str],
) -> dict[str, Any]:
    options: jwt.types.Options = {
        "require": require,
        "verify_aud": audience is not None,
        "verify_iss": issuer is not None,
    }
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
    except (jwt.InvalidTokenError, ValueError, TypeError) as exc:
        raise InvalidToken(f"the token is not valid here ({type(exc).__name__})") from None
    return claims
