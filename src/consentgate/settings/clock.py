"""The demo clock (``CONSENTGATE_DEMO_CLOCK``): an RFC 3339 instant the clock starts at, so
a demonstration or a simulation can run inside an election window of the past (the 2019
European elections). Time then runs on at its normal pace. Honoured only in demo mode: any
other start refuses it, so a production server always runs on the real time."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, ValidationInfo, field_validator

from consentgate.settings.base import CapabilitySettings

__all__ = ["ClockSettings"]


class ClockSettings(CapabilitySettings):
    demo_clock: datetime | None = Field(
        default=None,
        description="Demo mode only: start the clock at this RFC 3339 instant "
        "(e.g. 2019-04-01T09:00:00Z, inside the 2019 EP election window).",
    )

    @field_validator("demo_clock")
    @classmethod
    def _demo_clock_in_demo_mode_only(
        cls, value: datetime | None, info: ValidationInfo
    ) -> datetime | None:
        if value is None:
            return None
        if not info.data.get("demo"):
            raise ValueError(
                "is honoured only in demo mode (CONSENTGATE_DEMO=on, serve --demo): "
                "a production server runs on the real time"
            )
        if value.tzinfo is None:
            raise ValueError("needs a time zone, e.g. 2019-04-01T09:00:00Z")
        return value
