"""Credentials: how data-subject tokens are verified, the seeded admin key, and how long app
access tokens live (``CONSENTGATE_SUBJECT_TOKEN_SECRET``, ``_SUBJECT_JWKS_URL``,
``_SUBJECT_TOKEN_ISSUER``, ``_SUBJECT_TOKEN_AUDIENCE``, ``_SUBJECT_TOKEN_MAX_TTL_SECONDS``,
``_ADMIN_KEY``, ``_APP_TOKEN_TTL_SECONDS``)."""

from __future__ import annotations

from pydantic import Field, SecretStr, ValidationInfo, field_validator

from consentgate.settings.base import CapabilitySettings, checked_secret

__all__ = ["ADMIN_KEY_MIN_BYTES", "HMAC_SECRET_MIN_BYTES", "TokenSettings"]

HMAC_SECRET_MIN_BYTES = 32
ADMIN_KEY_MIN_BYTES = 24


class TokenSettings(CapabilitySettings):
    subject_token_secret: SecretStr | None = Field(
        default=None,
        description="HS256 secret of the platform's data-subject JWTs (demo mode makes one).",
    )
    subject_jwks_url: str | None = Field(
        default=None,
        description="The platform's JWKS: subject tokens signed with RS/PS/ES/EdDSA keys.",
    )
    subject_token_issuer: str | None = Field(
        default=None,
        min_length=1,
        description="The iss every subject token must carry (serve outside --demo needs it).",
    )
    subject_token_audience: str | None = Field(
        default=None,
        min_length=1,
        description="The aud every subject token must carry (serve outside --demo needs it).",
    )
    subject_token_max_ttl_seconds: int = Field(
        default=86_400,
        ge=60,
        le=30 * 86_400,
        description="The longest lifetime (exp - iat, and exp - now) of a subject token.",
    )
    admin_key: SecretStr | None = Field(
        default=None, description="An operator key with the admin role, seeded at start."
    )
    app_token_ttl_seconds: int = Field(default=3600, ge=60, le=86_400)

    @field_validator("subject_token_secret")
    @classmethod
    def _subject_token_secret(
        cls, value: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        return checked_secret(value, info, minimum=HMAC_SECRET_MIN_BYTES)

    @field_validator("admin_key")
    @classmethod
    def _admin_key(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        return checked_secret(value, info, minimum=ADMIN_KEY_MIN_BYTES)
