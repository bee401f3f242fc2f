"""Settings from the environment (prefix ``CONSENTGATE_``), with a zero-config default."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from consentgate.detect.rules import Thresholds

__all__ = ["DEFAULT_DATABASE_URL", "Settings"]

_T = Thresholds()

DEFAULT_DATABASE_URL = "sqlite:///consentgate.db"


class Settings(BaseSettings):
    """``CONSENTGATE_DATABASE_URL`` defaults to a SQLite file in the working directory;
    PostgreSQL via ``postgresql+psycopg://user@host/db``."""

    model_config = SettingsConfigDict(env_prefix="CONSENTGATE_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    catalog: Path | None = Field(
        default=None, description="A catalog TOML file; the built-in catalog when unset."
    )
    consent_ttl_days: int = Field(
        default=90, ge=1, le=3650, description="Days a consent lives after grant or renewal."
    )
    controller_name: str = Field(
        default="consentgate demo platform",
        description="The controller named on consent receipts.",
    )
    controller_email: str = "dpo@example.org"
    jurisdiction: str = "EU"
    subject_token_secret: SecretStr | None = Field(
        default=None,
        description="HS256 secret of the platform's data-subject JWTs (demo mode makes one).",
    )
    subject_jwks_url: str | None = Field(
        default=None,
        description="The platform's JWKS: subject tokens signed with RS/PS/ES/EdDSA keys.",
    )
    admin_key: SecretStr | None = Field(
        default=None, description="An operator key with the admin role, seeded at start."
    )
    app_token_ttl_seconds: int = Field(default=3600, ge=60, le=86_400)
    group_commit_max: int = Field(
        default=1024, ge=1, le=10_000, description="Most disclosures committed in one batch."
    )
    group_commit_wait_ms: float = Field(
        default=0.0,
        ge=0,
        le=50,
        description="How long a batch waits for company (0: what queued meanwhile).",
    )
    detect: bool = Field(default=True, description="Harvest detection (CONSENTGATE_DETECT).")
    # harvest rule thresholds: docs/detection.md explains each
    detect_short_window_seconds: int = Field(default=3600, ge=60, le=86_400, multiple_of=60)
    detect_long_window_seconds: int = Field(default=86_400, ge=3600, le=7 * 86_400, multiple_of=24)
    detect_enumeration_ids: int = Field(default=_T.enumeration_ids, ge=1)
    detect_out_of_scope_asks: int = Field(default=_T.out_of_scope_asks, ge=1)
    detect_purpose_refusals: int = Field(default=_T.purpose_refusals, ge=1)
    detect_probe_requests: int = Field(default=_T.probe_requests, ge=1)
    detect_probe_share: float = Field(default=_T.probe_share, gt=0, le=1)
    detect_reach_factor: float = Field(default=_T.reach_factor, ge=1)
    detect_reach_margin: int = Field(default=_T.reach_margin, ge=0)
    detect_reread_per_subject: float = Field(default=_T.reread_per_subject, gt=1)
    detect_reread_min_reads: int = Field(default=_T.reread_min_reads, ge=1)
    detect_sources: int = Field(default=_T.sources, ge=2)
    detect_burst_factor: float = Field(default=_T.burst_factor, gt=1)
    detect_burst_min_requests: int = Field(default=_T.burst_min_requests, ge=1)
    webhook_url: str | None = Field(
        default=None, description="Where incidents are announced (Standard Webhooks)."
    )
    webhook_secret: SecretStr | None = Field(
        default=None, description="The webhook signing secret (whsec_<base64>)."
    )
    ledger_origin: str = Field(
        default="localhost/consentgate/ledger/v1",
        pattern=r"^[^\s+]+$",
        description="Checkpoint origin and note key name (e.g. <host>/consentgate/ledger/v1).",
    )
    ledger_integrate_ms: int = Field(
        default=500, ge=10, le=1000, description="Longest wait before new leaves are signed."
    )

    def thresholds(self) -> Thresholds:
        """The harvest rules' thresholds from these settings."""
        return Thresholds(
            short_window=(self.detect_short_window_seconds // 60, 60),
            long_window=(self.detect_long_window_seconds // 24, 24),
            enumeration_ids=self.detect_enumeration_ids,
            out_of_scope_asks=self.detect_out_of_scope_asks,
            purpose_refusals=self.detect_purpose_refusals,
            probe_requests=self.detect_probe_requests,
            probe_share=self.detect_probe_share,
            reach_factor=self.detect_reach_factor,
            reach_margin=self.detect_reach_margin,
            reread_per_subject=self.detect_reread_per_subject,
            reread_min_reads=self.detect_reread_min_reads,
            sources=self.detect_sources,
            burst_factor=self.detect_burst_factor,
            burst_min_requests=self.detect_burst_min_requests,
        )
