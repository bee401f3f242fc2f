"""How long consents live and who the controller named on receipts is
(``CONSENTGATE_CONSENT_TTL_DAYS``, ``_CONTROLLER_NAME``, ``_CONTROLLER_EMAIL``,
``_JURISDICTION``). ``ConsentPolicy`` holds the defaults; the settings read them from it."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from consentgate.settings.base import CapabilitySettings

__all__ = ["ConsentPolicy", "ConsentSettings"]


@dataclass(frozen=True)
class ConsentPolicy:
    """How long consents live, and who the controller on receipts is."""

    ttl_days: int = 90
    controller_name: str = "consentgate demo platform"
    controller_email: str = "dpo@example.org"
    jurisdiction: str = "EU"


_DEFAULT = ConsentPolicy()


class ConsentSettings(CapabilitySettings):
    consent_ttl_days: int = Field(
        default=_DEFAULT.ttl_days,
        ge=1,
        le=3650,
        description="Days a consent lives after grant or renewal.",
    )
    controller_name: str = Field(
        default=_DEFAULT.controller_name, description="The controller named on consent receipts."
    )
    controller_email: str = _DEFAULT.controller_email
    jurisdiction: str = _DEFAULT.jurisdiction

    def consent_policy(self) -> ConsentPolicy:
        return ConsentPolicy(
            ttl_days=self.consent_ttl_days,
            controller_name=self.controller_name,
            controller_email=self.controller_email,
            jurisdiction=self.jurisdiction,
        )
