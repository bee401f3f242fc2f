"""Limits and timeouts (docs/security.md, "Limits and timeouts"): the per-app read rate
(``CONSENTGATE_RATE_LIMIT_APP`` requests/s with ``_RATE_LIMIT_APP_BURST``; 0 turns it off),
failed client authentications at ``/oauth/token`` (``_OAUTH_FAILURES_PER_MINUTE`` per
client id and per source address) and the password-hash slots (``_OAUTH_HASH_SLOTS``), and
what the HTTP server allows a connection (``_HTTP_HEAD_TIMEOUT_SECONDS``,
``_HTTP_BODY_TIMEOUT_SECONDS``, ``_HTTP_KEEPALIVE_TIMEOUT_SECONDS``, ``_HTTP_MAX_HEADER_BYTES``,
``_HTTP_MAX_CONNECTIONS``)."""

from __future__ import annotations

from pydantic import Field

from consentgate.settings.base import CapabilitySettings

__all__ = ["LimitSettings"]


class LimitSettings(CapabilitySettings):
    rate_limit_app: float = Field(
        default=100.0,
        ge=0,
        description="Reads per second one app may make, sustained (0: no limit).",
    )
    rate_limit_app_burst: int = Field(
        default=500, ge=1, description="Reads one app may make at once above its rate."
    )
    oauth_failures_per_minute: int = Field(
        default=10,
        ge=1,
        description="Failed client authentications per client id and per address, a minute.",
    )
    oauth_hash_slots: int = Field(
        default=4,
        ge=1,
        le=64,
        description="Client secrets verified at once (argon2, 64 MiB each); more wait 429.",
    )
    http_head_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Time a client has to send a request's head."
    )
    http_body_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Time a client has to send a request's body."
    )
    http_keepalive_timeout_seconds: float = Field(
        default=5.0, gt=0, description="An idle keep-alive connection is closed after this."
    )
    http_max_header_bytes: int = Field(
        default=16 * 1024, ge=1024, description="The largest request head (431 beyond it)."
    )
    http_max_connections: int = Field(
        default=1000, ge=8, description="Connections served at once (503 beyond them)."
    )
