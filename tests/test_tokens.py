"""App access tokens: a verified token is remembered, but never past its expiry, and nothing
that failed verification is remembered as good."""

from __future__ import annotations

import time

import jwt
import pytest

from consentgate.errors import InvalidToken
from consentgate.tokens import AppTokens

SECRET = b"s" * 32


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def test_a_remembered_token_still_expires() -> None:
    clock = Clock()
    tokens = AppTokens(SECRET, ttl_seconds=60, clock=clock)
    token, _ = tokens.issue("app_one")
    assert tokens.app_id(token) == "app_one"
    assert tokens.app_id(token) == "app_one"  # remembered
    clock.now += 60 + 4  # within the leeway
    assert tokens.app_id(token) == "app_one"
    clock.now += 2
    with pytest.raises(InvalidToken, match="expired"):
        tokens.app_id(token)


def test_an_altered_token_is_checked_afresh() -> None:
    tokens = AppTokens(SECRET)
    token, _ = tokens.issue("app_one")
    assert tokens.app_id(token) == "app_one"
    head, payload, signature = token.split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    for altered in (f"{head}.{payload}.{flipped}", f"{head}.{payload}.", token + "x"):
        with pytest.raises(InvalidToken):
            tokens.app_id(altered)


def test_failures_are_never_remembered_as_good() -> None:
    tokens = AppTokens(SECRET)
    claims = {"iss": "consentgate", "aud": "consentgate-app", "sub": "app_x", "typ": "app",
              "iat": int(time.time()), "exp": int(time.time()) + 600}  # fmt: skip
    forged = jwt.encode(claims, b"another-secret-of-32-bytes-long!", algorithm="HS256")
    for _ in range(3):
        with pytest.raises(InvalidToken):
            tokens.app_id(forged)
    other_kind = jwt.encode(claims | {"typ": "subject"}, SECRET, algorithm="HS256")
    for _ in range(3):
        with pytest.raises(InvalidToken, match="not an app access token"):
            tokens.app_id(other_kind)


def test_the_memory_is_bounded() -> None:
    tokens = AppTokens(SECRET, cache_size=2)
    issued = [tokens.issue(f"app_{i}")[0] for i in range(5)]
    for i, token in enumerate(issued):
        assert tokens.app_id(token) == f"app_{i}"
    assert tokens._verified.cache_info().currsize == 2
    assert tokens.app_id(issued[0]) == "app_0"  # forgotten, so verified again
