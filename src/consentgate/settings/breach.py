"""Breach response (GDPR Art. 33, 34, 83): who the Art. 33 report names as the data
protection officer, the lead supervisory authority, and the worldwide annual turnover the
Art. 83 exposure is computed from (``CONSENTGATE_DPO_NAME``, ``_DPO_EMAIL``,
``_LEAD_AUTHORITY``, ``_ANNUAL_TURNOVER_EUR``). The controller is the one named on consent
receipts (``CONSENTGATE_CONTROLLER_NAME``, ``_CONTROLLER_EMAIL``, ``settings.consent``)."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from consentgate.settings.base import CapabilitySettings
from consentgate.settings.consent import ConsentPolicy

__all__ = ["BreachPolicy", "BreachSettings"]

_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_CONTROLLER = ConsentPolicy()  # the controller's defaults are the receipts'


@dataclass(frozen=True)
class BreachPolicy:
    """What a breach's documents say about the controller (the defaults live here)."""

    controller_name: str = _CONTROLLER.controller_name
    controller_email: str = _CONTROLLER.controller_email
    dpo_name: str = "Data Protection Officer"
    dpo_email: str = "dpo@example.org"
    lead_authority: str = "IE"  # the country of the lead supervisory authority (Art. 56)
    annual_turnover_eur: int | None = None  # None: not configured (the fixed caps apply)


_DEFAULT = BreachPolicy()


class BreachSettings(CapabilitySettings):
    dpo_name: str = Field(
        default=_DEFAULT.dpo_name,
        min_length=1,
        max_length=200,
        description="The data protection officer named in Art. 33(3)(b) reports.",
    )
    dpo_email: str = Field(
        default=_DEFAULT.dpo_email,
        pattern=_EMAIL,
        description="The DPO's contact address in reports and notices to people.",
    )
    lead_authority: str = Field(
        default=_DEFAULT.lead_authority,
        pattern=r"^[A-Z]{2}$",
        description="ISO country of the lead supervisory authority (the main establishment).",
    )
    annual_turnover_eur: int | None = Field(
        default=_DEFAULT.annual_turnover_eur,
        ge=0,
        description="Worldwide annual turnover of the preceding year, for the Art. 83 cap.",
    )
