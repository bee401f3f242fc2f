"""Ledger analytics (the optional ``analytics`` extra): where ``consentgate ledger export
--parquet`` keeps the sealed ranges that breach scope and the records of processing read
with DuckDB (``CONSENTGATE_LEDGER_EXPORT_DIR``; unset: they run as SQL on the ledger)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from consentgate.settings.base import CapabilitySettings

__all__ = ["AnalyticsSettings"]


class AnalyticsSettings(CapabilitySettings):
    ledger_export_dir: Path | None = Field(
        default=None,
        description="The Parquet export of the ledger that DuckDB reads (with its manifest).",
    )
