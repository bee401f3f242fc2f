"""Rights requests and Art. 19 notices: how long an app has to acknowledge a notice
(``CONSENTGATE_NOTICE_ACK_DAYS``), whether an app that does not is suspended
(``CONSENTGATE_NOTICE_ENFORCE``), and how the outbox retries and polls
(``CONSENTGATE_NOTICE_RETRY_BASE_SECONDS``, ``CONSENTGATE_NOTICE_POLL_MS``)."""

from __future__ import annotations

from pydantic import Field

from consentgate.settings.base import CapabilitySettings

__all__ = ["RightsSettings"]


class RightsSettings(CapabilitySettings):
    notice_ack_days: int = Field(
        default=7, ge=1, le=90, description="Days an app has to acknowledge a notice."
    )
    notice_enforce: bool = Field(
        default=True,
        description="Suspend an app that leaves a notice unacknowledged past ack_due_at.",
    )
    notice_retry_base_seconds: float = Field(
        default=1.0,
        gt=0,
        le=3600,
        description="First retry delay of a failed notice delivery (x4 per attempt, 1 h cap).",
    )
    notice_poll_ms: int = Field(
        default=1000, ge=10, le=60_000, description="How often the notice outbox is polled."
    )
