"""The political transparency register (``CONSENTGATE_TRANSPARENCY_PERIOD_SECONDS``): how
often the checkpoint it is counted up to moves on (docs/elections.md, "Differencing")."""

from __future__ import annotations

from pydantic import Field

from consentgate.settings.base import CapabilitySettings

__all__ = ["DEFAULT_TRANSPARENCY_PERIOD_SECONDS", "TransparencySettings"]

DEFAULT_TRANSPARENCY_PERIOD_SECONDS = 86_400


class TransparencySettings(CapabilitySettings):
    transparency_period_seconds: int = Field(
        default=DEFAULT_TRANSPARENCY_PERIOD_SECONDS,
        ge=0,
        le=31 * 86_400,
        description="The register counts up to the latest checkpoint published before the "
        "current period (UTC, from the epoch) began; 0: the latest checkpoint.",
    )
