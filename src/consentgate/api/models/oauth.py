"""``POST /oauth/token`` (``routes/oauth.py``): the token, and RFC 6749 §5.2 errors."""

from __future__ import annotations

from typing import Any, Literal

from consentgate.api.models.base import Public
from consentgate.api.models.errors import ErrorEnvelope

__all__ = ["OAUTH_RESPONSES", "OAuthErrorPublic", "TokenPublic"]


class TokenPublic(Public):
    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int


class OAuthErrorPublic(Public):
    error: Literal[
        "invalid_request", "invalid_client", "unauthorized_client", "unsupported_grant_type"
    ]
    error_description: str


# RFC 6749 bodies for what the token endpoint refuses itself; the envelope for what the
# service refuses before it (a body over 1 MiB) or fails at
OAUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": OAuthErrorPublic, "description": "RFC 6749 §5.2 error"},
    401: {"model": OAuthErrorPublic, "description": "RFC 6749 §5.2 `invalid_client`"},
    429: {
        "model": ErrorEnvelope,
        "description": "`RATE_LIMITED` (with `Retry-After`): repeated failures, or busy",
    },
    "4XX": {"model": ErrorEnvelope, "description": "Refused before the token endpoint"},
    "5XX": {"model": ErrorEnvelope, "description": "Unavailable"},
}
