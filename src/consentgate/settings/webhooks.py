"""Where incidents are announced (``CONSENTGATE_WEBHOOK_URL``) and the Standard Webhooks
signing secret (``CONSENTGATE_WEBHOOK_SECRET``, ``whsec_<base64>``)."""

from __future__ import annotations

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator

from consentgate.settings.base import CapabilitySettings, checked_secret
from consentgate.settings.tokens import HMAC_SECRET_MIN_BYTES

__all__ = ["WebhookSettings"]


class WebhookSettings(CapabilitySettings):
    webhook_url: str | None = Field(
        default=None, description="Where incidents are announced (Standard Webhooks)."
    )
    webhook_secret: SecretStr | None = Field(
        default=None, description="The webhook signing secret (whsec_<base64>)."
    )

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        return checked_secret(value, info, minimum=HMAC_SECRET_MIN_BYTES)

    @model_validator(mode="after")
    def _url_needs_secret(self) -> WebhookSettings:
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError("CONSENTGATE_WEBHOOK_URL needs CONSENTGATE_WEBHOOK_SECRET")
        return self
