"""The disclosure ledger: group commit of the write-ahead recorder, the checkpoint origin and
how soon new leaves are signed (``CONSENTGATE_GROUP_COMMIT_MAX``, ``_GROUP_COMMIT_WAIT_MS``,
``_LEDGER_ORIGIN``, ``_LEDGER_INTEGRATE_MS``). The public leaf endpoint shows hashes only,
always (DESIGN.md, Hardening): there is no setting for it."""

from __future__ import annotations

from pydantic import Field

from consentgate.settings.base import CapabilitySettings

__all__ = ["DEFAULT_LEDGER_ORIGIN", "LedgerSettings"]

DEFAULT_LEDGER_ORIGIN = "localhost/consentgate/ledger/v1"


class LedgerSettings(CapabilitySettings):
    group_commit_max: int = Field(
        default=1024, ge=1, le=10_000, description="Most disclosures committed in one batch."
    )
    group_commit_wait_ms: float = Field(
        default=0.0,
        ge=0,
        le=50,
        description="How long a batch waits for company (0: what queued meanwhile).",
    )
    ledger_origin: str = Field(
        default=DEFAULT_LEDGER_ORIGIN,
        pattern=r"^[^\s+]+$",
        description="Checkpoint origin and note key name (e.g. <host>/consentgate/ledger/v1).",
    )
    ledger_integrate_ms: int = Field(
        default=500, ge=10, le=1000, description="Longest wait before new leaves are signed."
    )
